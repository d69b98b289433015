"""What actionlint does not see on its own:

1. the steps of action.yml (a composite action's steps are not linted where a workflow uses it):
   they are put into a workflow_dispatch workflow whose inputs are the action's, and actionlint
   (with shellcheck) checks that, including the node runtime of every action it uses;
2. the bash inside the Azure Pipelines recipes: every `script` and `inlineScript` value goes through
   shellcheck as its own file.

Usage: python lint-recipes.py ACTIONLINT SHELLCHECK"""
import pathlib
import subprocess
import sys
import tempfile

import yaml

AZURE = ["examples/azure-pipelines.yml", "examples/kusto-principals-install.yml"]
actionlint, shellcheck = sys.argv[1], sys.argv[2]


def scripts(node, where):
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("script", "inlineScript") and isinstance(value, str):
                yield where, value
            else:
                yield from scripts(value, f"{where}.{key}")
    elif isinstance(node, list):
        for i, item in enumerate(node):
            yield from scripts(item, f"{where}[{i}]")


def action_as_workflow():
    action = yaml.safe_load(pathlib.Path("action.yml").read_text())
    inputs = {name: {"type": "string", "required": False} for name in action["inputs"]}
    return {
        "name": "action.yml, as a workflow",
        "on": {"workflow_dispatch": {"inputs": inputs}},
        "jobs": {"action": {"runs-on": "ubuntu-latest", "steps": action["runs"]["steps"]}},
    }


failed = 0
with tempfile.TemporaryDirectory() as tmp:
    workflow = pathlib.Path(tmp) / "action-as-workflow.yml"
    workflow.write_text(yaml.safe_dump(action_as_workflow(), sort_keys=False))
    result = subprocess.run([actionlint, "-shellcheck", shellcheck, "-oneline", str(workflow)],
                            capture_output=True, text=True)
    if result.returncode != 0:
        failed += 1
        print(f"action.yml's steps:\n{result.stdout}{result.stderr}")
    print(f"actionlint: action.yml's {len(action_as_workflow()['jobs']['action']['steps'])} steps checked")

    count = 0
    for recipe in AZURE:
        doc = yaml.safe_load(pathlib.Path(recipe).read_text())
        for where, body in scripts(doc, recipe):
            count += 1
            path = pathlib.Path(tmp) / f"script{count}.sh"
            path.write_text("#!/usr/bin/env bash\n" + body)
            result = subprocess.run([shellcheck, str(path)], capture_output=True, text=True)
            if result.returncode != 0:
                failed += 1
                print(f"{where}:\n{result.stdout}{result.stderr}")
    print(f"shellcheck: {count} scripts in the Azure Pipelines recipes")
sys.exit(1 if failed else 0)
