"""Check the answers before cookiecutter writes anything.

A bad answer stops the bake with one sentence that names the field, the value and a valid example;
cookiecutter then removes the half-made project directory. Answers arrive as JSON data, never pasted
into source, so quotes, backslashes and accents in them cannot break this file.
"""

import json
import keyword
import re
import sys

ANSWERS = json.loads(r"""{{ cookiecutter | tojson }}""")

# Modules the generated project imports: a package with one of these names would hide the real one.
IMPORTED_MODULES = {
    "hydra", "lightning", "matplotlib", "numpy", "omegaconf", "pandas", "PIL", "palmerpenguins",
    "pytest", "sklearn", "tests", "torch", "torchmetrics", "wandb", "dvc", "filelock",
}  # fmt: skip
PACKAGE_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")
# PEP 508 distribution names, which are also safe directory names.
SLUG = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def problem(answers: dict) -> str | None:
    """Return a sentence describing the first bad answer, or None when all answers are usable."""
    slug = answers["project_slug"]
    if not SLUG.match(slug):
        return (
            f"project_slug {slug!r} is not usable as a directory and distribution name: use letters, "
            "digits, '-', '_' or '.', starting and ending with a letter or digit, e.g. 'cloud-classifier'."
        )
    name = answers["package_name"]
    if not PACKAGE_NAME.match(name) or keyword.iskeyword(name):
        return (
            f"package_name {name!r} is not a valid Python package name: use lowercase letters, "
            "digits and underscores, starting with a letter, e.g. 'cloud_classifier'."
        )
    if name in IMPORTED_MODULES or name in sys.stdlib_module_names:
        return (
            f"package_name {name!r} would shadow the module {name!r} that the project imports: "
            f"choose a more specific name, e.g. '{name}_study'."
        )
    email = answers["author_email"]
    if not EMAIL.match(email):
        return f"author_email {email!r} is not an email address: use one like this, e.g. 'ada@example.org'."
    return None


if __name__ == "__main__":
    message = problem(ANSWERS)
    if message:
        print(f"ERROR: {message}", file=sys.stderr)
        sys.exit(1)
