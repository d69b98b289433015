// Microsoft's JavaScript SDK (@azure/arm-kusto 8.x at its default api-version, with @azure/identity)
// against the emulator. Gets a token with ClientSecretCredential (instance discovery off, the
// emulator as authority host), then at cluster and at database scope: list, check name, create,
// get, list, check name, delete, get (404), list. Exits non-zero at the first step that does not
// answer as the real service would.
//
// Configuration: the variables `kusto-principals emulator --print-env` prints (NODE_EXTRA_CA_CERTS
// among them), plus KUSTO_SDK_SUBSCRIPTION, KUSTO_SDK_RESOURCE_GROUP, KUSTO_SDK_CLUSTER,
// KUSTO_SDK_DATABASE and KUSTO_SDK_PRINCIPAL (an app id the emulator's directory knows).

import { KustoManagementClient } from "@azure/arm-kusto";
import { ClientSecretCredential } from "@azure/identity";

const env = process.env;
const credential = new ClientSecretCredential(
  env.AZURE_TENANT_ID,
  env.AZURE_CLIENT_ID,
  env.AZURE_CLIENT_SECRET,
  { authorityHost: env.AZURE_AUTHORITY_HOST, disableInstanceDiscovery: true },
);
const client = new KustoManagementClient(credential, env.KUSTO_SDK_SUBSCRIPTION, {
  endpoint: env.KUSTO_PRINCIPALS_ARM_ENDPOINT,
  credentialScopes: ["https://management.azure.com/.default"],
});
const rg = env.KUSTO_SDK_RESOURCE_GROUP;
const cluster = env.KUSTO_SDK_CLUSTER;
const db = env.KUSTO_SDK_DATABASE;
const principal = env.KUSTO_SDK_PRINCIPAL;
const fast = { updateIntervalInMs: 0 };

function check(what, ok) {
  console.log(`${ok ? "ok  " : "FAIL"} ${what}`);
  if (!ok) process.exit(1);
}

async function names(ops, args) {
  const out = [];
  for await (const a of ops.list(...args)) out.push(a.name.split("/").pop());
  return out;
}

async function cycle(scope, ops, args, name, role, type) {
  check(`${scope}: list before`, !(await names(ops, args)).includes(name));
  const free = await ops.checkNameAvailability(...args, { name, type });
  check(`${scope}: name free`, free.nameAvailable === true);
  const created = await ops.beginCreateOrUpdateAndWait(
    ...args,
    name,
    { principalId: principal, principalType: "App", role },
    fast,
  );
  check(`${scope}: created with role ${role}`, created.role === role);
  const got = await ops.get(...args, name);
  check(`${scope}: get`, got.principalId === principal && got.role === role);
  check(`${scope}: listed`, (await names(ops, args)).includes(name));
  const taken = await ops.checkNameAvailability(...args, { name, type });
  check(`${scope}: name taken`, taken.nameAvailable === false);
  await ops.beginDeleteAndWait(...args, name, fast);
  let status = 200;
  try {
    await ops.get(...args, name);
  } catch (e) {
    status = e.statusCode;
  }
  check(`${scope}: get after delete is 404`, status === 404);
  check(`${scope}: gone from the list`, !(await names(ops, args)).includes(name));
}

try {
  await cycle(
    "cluster",
    client.clusterPrincipalAssignments,
    [rg, cluster],
    "js-sdk-cluster",
    "AllDatabasesViewer",
    "Microsoft.Kusto/clusters/principalAssignments",
  );
  await cycle(
    "database",
    client.databasePrincipalAssignments,
    [rg, cluster, db],
    "js-sdk-database",
    "Viewer",
    "Microsoft.Kusto/clusters/databases/principalAssignments",
  );
  console.log("javascript sdk: all steps passed");
} catch (e) {
  console.log(`FAIL ${e.statusCode ?? ""} ${e.code ?? ""} ${e.message}`);
  process.exit(1);
}
