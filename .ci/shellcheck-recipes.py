"""shellcheck over the bash inside the Azure Pipelines recipes (actionlint does this for GitHub
workflows, nothing does it for Azure): every `script` and `inlineScript` value, as its own file."""
import pathlib
import subprocess
import sys
import tempfile

import yaml

RECIPES = ["examples/azure-pipelines.yml", "examples/kusto-principals-install.yml"]


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


failed = 0
count = 0
with tempfile.TemporaryDirectory() as tmp:
    for recipe in RECIPES:
        doc = yaml.safe_load(pathlib.Path(recipe).read_text())
        for where, body in scripts(doc, recipe):
            count += 1
            path = pathlib.Path(tmp) / f"script{count}.sh"
            path.write_text("#!/usr/bin/env bash\n" + body)
            result = subprocess.run([sys.argv[1], str(path)], capture_output=True, text=True)
            if result.returncode != 0:
                failed += 1
                print(f"{where}:\n{result.stdout}{result.stderr}")
print(f"shellcheck: {count} scripts in the Azure Pipelines recipes, {failed} with findings")
sys.exit(1 if failed else 0)
