"""Check the answers before cookiecutter writes anything.

A bad answer stops the bake with one sentence that names the field, the value and a valid example.
local_extensions.py runs problem() inside cookiecutter, as it renders the project folder's name:
before the folder is made, and so that cookiecutter's command line prints the sentence alone (a
failing hook script makes it print a traceback too). Run by cookiecutter as its pre-generation
hook, this file checks the same answers again, in case a later cookiecutter renders that name
differently; it then prints the sentence and cookiecutter removes the half-made project directory.
Answers arrive as JSON data, never pasted into source, so quotes, backslashes and accents in them
cannot break this file; it also imports as it stands, unrendered, which local_extensions.py does.
One check runs earlier, in local_extensions.py: answers holding Jinja markup, refused before Jinja
evaluates them.
"""

import json
import keyword
import re
import sys

# Modules the generated project imports: a package with one of these names would hide the real one.
IMPORTED_MODULES = {
    "hydra", "lightning", "matplotlib", "numpy", "omegaconf", "pandas", "PIL", "palmerpenguins",
    "pytest", "sklearn", "tests", "torch", "torchmetrics", "wandb", "dvc", "filelock",
    "nbclient", "nbformat", "jupyter_client", "ipykernel", "pre_commit", "yaml", "jinja2",
    "mlflow", "tensorboard", "optuna", "submitit", "timing", "cluster_helpers", "timm",
    "test_wandb", "test_train", "test_resume", "plain_loop", "bare_trainer",
}  # fmt: skip
# Installed with Python but missing from sys.stdlib_module_names: `test` is CPython's own test
# suite, and `import test.train` would look inside it.
UNLISTED_STDLIB = {"test", "idlelib", "ensurepip", "venv", "lib2to3", "turtledemo"}
# File names may have 255 bytes (NAME_MAX); a project adds at most ~30 characters to a name
# (`__editable___<name>_0_1_0_finder.py` in an editable install, `<slug>-dvc-storage`), and
# paths get long on clusters: 100 keeps every name well inside the limit.
MAX_NAME_LENGTH = 100
# Written apart ("{" "{"), because Jinja renders this file before it runs.
JINJA_MARKUP = ("{" "{", "{" "%", "{" "#")  # fmt: skip
PLAIN_TEXT_EXAMPLE = {"project_name": "Cloud Classifier", "description": "A cloud classifier."}
PACKAGE_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
# PEP 508 distribution names, which are also safe directory names.
SLUG = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# W&B forbids these characters in project names; entities are user or team names.
WANDB_PROJECT = re.compile(r"^[^/\\#?%:\s]{1,128}$")
WANDB_ENTITY = re.compile(r"^([A-Za-z0-9][A-Za-z0-9_-]*)?$")
# A valid URL for each kind of DVC remote; its scheme (before "://") is the one the kind needs.
REMOTE_EXAMPLES = {
    "s3": "s3://my-bucket/cloud-classifier", "gs": "gs://my-bucket/cloud-classifier",
    "azure": "azure://my-container/cloud-classifier", "ssh": "ssh://me@example.org/srv/dvc/cloud-classifier",
}  # fmt: skip


def problem(answers: dict) -> str | None:
    """Return a sentence describing the first bad answer, or None when all answers are usable."""
    for field, value in answers.items():
        if isinstance(value, str) and any(mark in value for mark in JINJA_MARKUP):
            example = PLAIN_TEXT_EXAMPLE.get(field, "cloud-classifier")
            return (
                f"{field} {value!r} contains Jinja markup ({', '.join(JINJA_MARKUP)}), which "
                f"cookiecutter would evaluate: write it as plain text, e.g. '{example}'."
            )
    slug = answers["project_slug"]
    if not SLUG.match(slug) or len(slug) > MAX_NAME_LENGTH:
        return (
            f"project_slug {slug!r} is not usable as a directory and distribution name: use up to "
            f"{MAX_NAME_LENGTH} letters, digits, '-', '_' or '.', starting and ending with a "
            "letter or digit, e.g. 'cloud-classifier'."
        )
    name = answers["package_name"]
    if not PACKAGE_NAME.match(name) or keyword.iskeyword(name):
        return (
            f"package_name {name!r} is not a valid Python package name: use lowercase letters, "
            "digits and underscores, starting with a letter, e.g. 'cloud_classifier'."
        )
    if len(name) > MAX_NAME_LENGTH:
        return (
            f"package_name {name[:20]!r}... has {len(name)} characters, more than file names "
            f"allow with room to spare: use at most {MAX_NAME_LENGTH}, e.g. 'cloud_classifier'."
        )
    standard = name in sys.stdlib_module_names or name in UNLISTED_STDLIB
    if standard or name in IMPORTED_MODULES:
        where = "of Python's standard library" if standard else "that the project imports"
        return (
            f"package_name {name!r} would shadow the module {name!r} {where}: choose a more "
            f"specific name, e.g. '{name}_study'."
        )
    email = answers["author_email"]
    if not EMAIL.match(email):
        return f"author_email {email!r} is not an email address: use one like this, e.g. 'ada@example.org'."
    return wandb_problem(answers) or remote_problem(answers)


def wandb_problem(answers: dict) -> str | None:
    project, entity = answers["wandb_project"], answers["wandb_entity"]
    if not WANDB_PROJECT.match(project):
        return (
            f"wandb_project {project!r} is not a W&B project name: use up to 128 characters without "
            "spaces or any of / \\ # ? % :, e.g. 'cloud-classifier'."
        )
    if not WANDB_ENTITY.match(entity):
        return (
            f"wandb_entity {entity!r} is not a W&B user or team name: use letters, digits, '-' and "
            "'_', e.g. 'ada-lab', or leave it empty for your default one."
        )
    return None


def remote_problem(answers: dict) -> str | None:
    kind, url = answers["dvc_remote"], answers["dvc_remote_url"]
    example = REMOTE_EXAMPLES.get(kind)
    scheme = example and example.split("://")[0] + "://"
    if not url or any(character in url for character in "\n#\"'"):
        return (
            f"dvc_remote_url {url!r} cannot be written in DVC's config: give a URL or path without "
            "quotes, '#' or line breaks, e.g. '../cloud-classifier-dvc-storage'."
        )
    if scheme and not url.startswith(scheme):
        return f"dvc_remote_url {url!r} is not a {kind} URL: start it with {scheme}, e.g. '{example}'."
    if not scheme and "://" in url:
        return (
            f"dvc_remote_url {url!r} is a URL, but dvc_remote is 'local': give a folder path, "
            "e.g. '../cloud-classifier-dvc-storage', or choose the matching dvc_remote."
        )
    return None


if __name__ == "__main__":
    message = problem(json.loads(r"""{{ cookiecutter | tojson }}"""))
    if message:
        print(f"ERROR: {message}", file=sys.stderr)
        sys.exit(1)
