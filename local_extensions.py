"""Checks that run inside cookiecutter itself, before it evaluates an answer or makes a folder.

cookiecutter.json names this module in `_extensions`; cookiecutter loads it into the Jinja
environment it renders everything with. Two things cannot wait for hooks/pre_gen_project.py:

- An answer given on the command line or in a config file is itself rendered as a Jinja template
  (that is how the derived defaults, `{{ cookiecutter.project_name | slugify }}`, work), before any
  hook runs. `project_name={% raw %}` or `wandb_project=pro"j{{x}}` would be evaluated into a
  Jinja traceback, or silently into another value (`{{ 7*7 }}` becomes 49). So an answer holding
  Jinja markup is refused here, with one sentence, before Jinja parses it. The one form allowed is
  a plain reference to an earlier answer, `{{ cookiecutter.project_slug }}`, which lab configs use
  (README: "Lab-wide defaults"). Answers typed at the prompts are never rendered; the
  pre-generation hook refuses markup in them too.
- cookiecutter makes the project folder before the pre-generation hook runs, and removes only its
  last part when the hook fails: `project_slug=a/b` would leave an empty folder `a`. And when a
  hook script fails, cookiecutter 2.7's command line logs "Stopping generation because
  pre_gen_project hook script didn't exit successfully" with a traceback and "Hook script failed
  (exit status: 1)" around the hook's own sentence (hooks.py, run_hook_from_repo_dir, calls
  logger.exception; no exit status or output of the script avoids that). So every answer is
  checked here, by the hook's own problem(), as the project folder's name is rendered: before the
  folder is made, and before any hook runs.

A refusal raises cookiecutter's FailedHookException, whose message its command line prints alone,
as one line, before exiting with status 1 (cli.py: `click.echo(e)`).
"""

import importlib.util
import json
import re
import sys
from pathlib import Path
from types import ModuleType

import yaml
from cookiecutter.exceptions import FailedHookException
from jinja2 import pass_context
from jinja2.ext import Extension
from jinja2.runtime import Context

TEMPLATE = Path(__file__).resolve().parent
QUESTIONS = json.loads((TEMPLATE / "cookiecutter.json").read_text(encoding="utf-8"))
MARKUP = ("{{", "{%", "{#")
PLAIN_TEXT_EXAMPLE = {"project_name": "Cloud Classifier", "description": "A cloud classifier."}
REFERENCE = re.compile(r"\{\{\s*cookiecutter\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
PROJECT_FOLDER = "{{cookiecutter.project_slug}}"  # the template folder, the project's name
HOOK = TEMPLATE / "hooks" / "pre_gen_project.py"


def strings_in(value: object) -> list[str]:
    """Every string in a JSON value: the template's own defaults and prompts."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [text for item in value.values() for text in strings_in(item)]
    if isinstance(value, list):
        return [text for item in value for text in strings_in(item)]
    return []


def template_sources() -> set[str]:
    """What the template itself renders from strings: its defaults and its hook scripts."""
    hooks = [path.read_text(encoding="utf-8") for path in (TEMPLATE / "hooks").glob("*.py")]
    return {*strings_in(QUESTIONS), *hooks}


def question_being_answered() -> str | None:
    """The question whose answer cookiecutter is rendering, to name it in the message.

    cookiecutter does not pass it to Jinja; its prompting loop holds it in a local variable `key`.
    If a later cookiecutter renames that, messages say "an answer" instead: nothing else changes.
    """
    frame = sys._getframe()
    while frame is not None:
        if frame.f_code.co_name == "prompt_for_config" and "key" in frame.f_locals:
            return str(frame.f_locals["key"])
        frame = frame.f_back
    return None


def refusal(sentence: str) -> FailedHookException:
    return FailedHookException(f"ERROR: {sentence}")


def check_answer(source: str) -> None:
    """Refuse an answer holding Jinja markup other than references to earlier answers."""
    question = question_being_answered()
    questions = [name for name in QUESTIONS if not name.startswith("_")]
    earlier = questions[: questions.index(question)] if question in questions else questions
    bad_references = [name for name in REFERENCE.findall(source) if name not in earlier]
    if not any(mark in REFERENCE.sub("", source) for mark in MARKUP) and not bad_references:
        return
    example = PLAIN_TEXT_EXAMPLE.get(question, "cloud-classifier")
    raise refusal(
        f"{question or 'an answer'} {source!r} contains Jinja markup ({', '.join(MARKUP)}), which "
        f"cookiecutter would evaluate: write it as plain text, e.g. '{example}' (the one form "
        "allowed refers to an earlier answer: '{{ cookiecutter.project_slug }}')."
    )


def load_hook() -> ModuleType:
    """The pre-generation hook as a module: its problem() checks every answer."""
    spec = importlib.util.spec_from_file_location("pre_gen_project", HOOK)
    hook = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(hook)
    return hook


@pass_context
def project_folder_name(context: Context, slug: str) -> str:
    """The project folder's name, once every answer is checked: refused before the folder is made."""
    sentence = load_hook().problem(dict(context["cookiecutter"]))
    if sentence:
        raise refusal(sentence)
    return slug


class AnswerGuard(Extension):
    """Refuse answers that hold Jinja, and project folder names that are not one folder."""

    def __init__(self, environment) -> None:  # noqa: ANN001 (a jinja2.Environment)
        super().__init__(environment)
        environment.filters["project_folder_name"] = project_folder_name
        self.template_sources = template_sources()

    def preprocess(self, source: str, name: str | None, filename: str | None = None) -> str:
        if name is not None:  # a file of the template, read by Jinja's loader: not an answer
            return source
        if source == PROJECT_FOLDER:
            return "{{ cookiecutter.project_slug | project_folder_name }}"
        if source not in self.template_sources and any(mark in source for mark in MARKUP):
            check_answer(source)
        return source


def yaml_value(value: object) -> str:
    """A value as PyYAML writes it, and so OmegaConf: quoted only where YAML needs it. The shipped
    params.yaml is then the very file that `make repro` writes, not one that git shows changed."""
    return yaml.safe_dump(value, allow_unicode=True, width=10**6).removesuffix("...\n").strip()


class YamlValues(Extension):
    """The `yaml_value` filter, for answers written into YAML files."""

    def __init__(self, environment) -> None:  # noqa: ANN001 (a jinja2.Environment)
        super().__init__(environment)
        environment.filters["yaml_value"] = yaml_value
