# Renders tool-calls.jinja2.json: a tool-calling conversation through every template of
# shared/models/templates with Python's jinja2, set up as Hugging Face sets up chat templates.
# Run: python3 tool-calls.jinja2.py (finds shared/models/templates in a folder above this file).
import json
from datetime import datetime
from pathlib import Path

from jinja2.exceptions import TemplateError
from jinja2.ext import loopcontrols
from jinja2.sandbox import ImmutableSandboxedEnvironment


def raise_exception(message):
    raise TemplateError(message)


def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
    return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)


env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[loopcontrols])
env.filters["tojson"] = tojson
env.globals["raise_exception"] = raise_exception
env.globals["strftime_now"] = lambda fmt: datetime(2026, 11, 26, 10, 15, 0).strftime(fmt)

templates = next(d / "shared" / "models" / "templates" for d in Path(__file__).resolve().parents
                 if (d / "shared" / "models").is_dir())
index = json.loads((templates / "index.json").read_text())
messages = [
    {"role": "system", "content": "Answer with the tools."},
    {"role": "user", "content": "What's the weather in Lyon?"},
    {"role": "assistant", "content": "", "tool_calls": [
        {"id": "abcDEF123", "type": "function", "function": {"name": "get_weather", "arguments": {"city": "Lyon"}}}]},
    {"role": "tool", "tool_call_id": "abcDEF123", "name": "get_weather",
     "content": "{\"temperature_c\": 12.5, \"sky\": \"clear\"}"},
]
tools = index["conversations"]["tools"]["tools"]
renders = {}
for name, tokens in index["bos_eos"].items():
    template = env.from_string((templates / (name + ".jinja")).read_text())
    renders[name] = template.render(messages=messages, tools=tools, add_generation_prompt=True, **tokens)
out = Path(__file__).with_suffix(".json")
out.write_text(json.dumps({"messages": messages, "tools": tools, "renders": renders}, ensure_ascii=False, indent=1))
