"""Microsoft's Python SDK (azure-mgmt-kusto with azure-identity) against the emulator.

Gets a token with ClientSecretCredential (instance discovery off, the emulator as authority), then at
cluster and at database scope: list, check name, create, get, list, check name, delete, get (404),
list. Exits non-zero at the first step that does not answer as the real service would.

Configuration comes from the variables `kusto-principals emulator --print-env` prints, plus
KUSTO_SDK_SUBSCRIPTION, KUSTO_SDK_RESOURCE_GROUP, KUSTO_SDK_CLUSTER, KUSTO_SDK_DATABASE and
KUSTO_SDK_PRINCIPAL (an app id the emulator's directory knows).
"""

import os
import sys

from azure.core.exceptions import ResourceNotFoundError
from azure.identity import ClientSecretCredential
from azure.mgmt.kusto import KustoManagementClient

env = os.environ
credential = ClientSecretCredential(
    env["AZURE_TENANT_ID"],
    env["AZURE_CLIENT_ID"],
    env["AZURE_CLIENT_SECRET"],
    authority=env["AZURE_AUTHORITY_HOST"],
    disable_instance_discovery=True,
)
client = KustoManagementClient(
    credential,
    env["KUSTO_SDK_SUBSCRIPTION"],
    base_url=env["KUSTO_PRINCIPALS_ARM_ENDPOINT"],
    credential_scopes=["https://management.azure.com/.default"],
)
rg, cluster, db = env["KUSTO_SDK_RESOURCE_GROUP"], env["KUSTO_SDK_CLUSTER"], env["KUSTO_SDK_DATABASE"]
principal = env["KUSTO_SDK_PRINCIPAL"]


def check(what, ok):
    print(("ok   " if ok else "FAIL ") + what, flush=True)
    if not ok:
        sys.exit(1)


def cycle(scope, ops, args, name, role, kind):
    names = lambda: sorted(a.name.split("/")[-1] for a in ops.list(*args))
    check(f"{scope}: list before", name not in names())
    body = {"name": name, "type": kind}
    check(f"{scope}: name free", ops.check_name_availability(*args, body).name_available)
    created = ops.begin_create_or_update(
        *args,
        name,
        {"properties": {"principalId": principal, "principalType": "App", "role": role}},
        polling_interval=0,
    ).result()
    check(f"{scope}: created with role {role}", created.properties.role == role)
    got = ops.get(*args, name)
    check(f"{scope}: get", got.properties.principal_id == principal and got.properties.role == role)
    check(f"{scope}: listed", name in names())
    check(f"{scope}: name taken", not ops.check_name_availability(*args, body).name_available)
    ops.begin_delete(*args, name, polling_interval=0).result()
    try:
        ops.get(*args, name)
        check(f"{scope}: get after delete is 404", False)
    except ResourceNotFoundError:
        check(f"{scope}: get after delete is 404", True)
    check(f"{scope}: gone from the list", name not in names())


cycle(
    "cluster",
    client.cluster_principal_assignments,
    (rg, cluster),
    "py-sdk-cluster",
    "AllDatabasesViewer",
    "Microsoft.Kusto/clusters/principalAssignments",
)
cycle(
    "database",
    client.database_principal_assignments,
    (rg, cluster, db),
    "py-sdk-database",
    "Viewer",
    "Microsoft.Kusto/clusters/databases/principalAssignments",
)
print("python sdk: all steps passed")
