"""A reader of Jenkins declarative pipelines, enough to check and compare a generated Jenkinsfile.

Jenkins validates a Jenkinsfile only on a Jenkins controller (`jenkins-cli declarative-linter`
or the `/pipeline-model-converter/validate` endpoint); nothing installable here parses the
declarative model offline. This module tokenizes the Groovy the way Groovy does where it matters
(comments, the four string forms, brackets), builds the block tree (`name(args) { ... }`),
and checks the declarative skeleton: one `pipeline` with an `agent` and `stages`, each
`stage('name')` with exactly one of `steps`, `parallel`, `stages` or `matrix`, only the section
names the declarative syntax defines, and an agent for every stage that runs steps.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

# Sections the declarative syntax allows (jenkins.io/doc/book/pipeline/syntax).
PIPELINE_SECTIONS = {
    "agent", "environment", "options", "parameters", "triggers", "tools", "libraries", "stages",
    "post",
}  # fmt: skip
STAGE_SECTIONS = {
    "agent", "environment", "options", "when", "tools", "input", "steps", "parallel", "stages",
    "matrix", "post", "failFast",
}  # fmt: skip
STAGE_BODIES = ("steps", "parallel", "stages", "matrix")
POST_CONDITIONS = {
    "always", "changed", "fixed", "regression", "aborted", "failure", "success", "unstable",
    "unsuccessful", "cleanup",
}  # fmt: skip
# Steps that run a shell script; only `sh` is read (the parity test compares its commands).
SCRIPT_STEPS = {"sh", "bat", "powershell", "pwsh"}

TOKEN = re.compile(
    r"""
    (?P<comment>//[^\n]*|/\*.*?\*/)
  | (?P<string>'''.*?'''|\"\"\".*?\"\"\"|'(?:\\.|[^'\\\n])*'|"(?:\\.|[^"\\\n])*")
  | (?P<newline>\n)
  | (?P<space>[ \t\r]+)
  | (?P<word>[A-Za-z_$][\w$]*)
  | (?P<open>[{(\[])
  | (?P<close>[})\]])
  | (?P<semicolon>;)
  | (?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)
PAIRS = {"{": "}", "(": ")", "[": "]"}
UNTERMINATED = re.compile(r"'''|\"\"\"|'|\"")


class JenkinsfileError(ValueError):
    """The text is not a Jenkinsfile this reader understands."""


@dataclass(frozen=True)
class Token:
    kind: str
    text: str
    line: int

    @property
    def value(self) -> str:
        """A string token's content (escapes of the quote and backslash undone)."""
        quote = 3 if self.text[:3] in ("'''", '"""') else 1
        inner = self.text[quote:-quote]
        return re.sub(r"\\([\\'\"$])", r"\1", inner)


@dataclass
class Node:
    """A statement: its words and strings up to `{` or the end of the line, and its block."""

    head: list[Token]
    line: int
    body: list[Node] | None = None  # None: a statement without a block

    @property
    def name(self) -> str:
        return self.head[0].text if self.head and self.head[0].kind == "word" else ""

    @property
    def strings(self) -> list[str]:
        return [t.value for t in self.head if t.kind == "string"]

    @property
    def label(self) -> str:
        """`stage('lint')` → lint."""
        return self.strings[0] if self.strings else ""

    def blocks(self, name: str) -> list[Node]:
        return [n for n in self.body or [] if n.name == name and n.body is not None]

    def walk(self) -> Iterator[Node]:
        for child in self.body or []:
            yield child
            yield from child.walk()


def tokenize(text: str) -> list[Token]:
    tokens, line, pos = [], 1, 0
    while pos < len(text):
        match = TOKEN.match(text, pos)
        assert match is not None  # `other` matches any character
        kind, chunk = match.lastgroup or "other", match.group()
        if kind == "other" and UNTERMINATED.match(chunk):
            raise JenkinsfileError(f"line {line}: unterminated string")
        if kind == "other" and text.startswith("/*", pos):
            raise JenkinsfileError(f"line {line}: unterminated comment")
        if kind not in ("comment", "space"):
            tokens.append(Token(kind, chunk, line))
        line += chunk.count("\n")
        pos = match.end()
    return tokens


def parse(text: str) -> list[Node]:
    """The file's top-level statements; raises JenkinsfileError on unbalanced brackets."""
    tokens = tokenize(text)
    stack: list[tuple[str, int]] = []
    for token in tokens:
        if token.kind == "open":
            stack.append((token.text, token.line))
        elif token.kind == "close":
            if not stack or PAIRS[stack[-1][0]] != token.text:
                raise JenkinsfileError(f"line {token.line}: unbalanced {token.text!r}")
            stack.pop()
    if stack:
        raise JenkinsfileError(f"line {stack[-1][1]}: {stack[-1][0]!r} is never closed")
    body, end = _statements(tokens, 0)
    assert end == len(tokens)
    return body


def _statements(tokens: list[Token], pos: int) -> tuple[list[Node], int]:
    """Statements from `pos` up to the `}` closing this block (or the end)."""
    nodes: list[Node] = []
    head: list[Token] = []
    depth = 0  # inside ( ) or [ ]: newlines continue the statement
    while pos < len(tokens):
        token = tokens[pos]
        if depth == 0 and token.text == "}":
            break
        if depth == 0 and token.text == "{":
            node = Node(head, head[0].line if head else token.line)
            node.body, pos = _statements(tokens, pos + 1)
            nodes.append(node)
            head = []
            pos += 1  # the closing brace
            continue
        if depth == 0 and token.kind in ("newline", "semicolon"):
            if head:
                nodes.append(Node(head, head[0].line))
            head = []
        elif token.kind != "newline":
            depth += {"(": 1, "[": 1, ")": -1, "]": -1}.get(token.text, 0)
            head.append(token)
        pos += 1
    if head:
        nodes.append(Node(head, head[0].line))
    return nodes, pos


def pipeline(text: str) -> Node:
    """The `pipeline { }` block, checked (see `problems`)."""
    found = problems(text)
    if found:
        raise JenkinsfileError("\n".join(found))
    return next(n for n in parse(text) if n.name == "pipeline")


def problems(text: str) -> list[str]:
    """Why this is not a declarative pipeline ([] = none found)."""
    try:
        top = parse(text)
    except JenkinsfileError as error:
        return [str(error)]
    pipelines = [n for n in top if n.name == "pipeline"]
    if len(pipelines) != 1 or pipelines[0].body is None:
        return [f"one `pipeline {{ }}` block expected, found {len(pipelines)}"]
    root = pipelines[0]
    found = _sections(root, PIPELINE_SECTIONS, "pipeline")
    if not any(n.name == "agent" for n in root.body or []):
        found.append("pipeline: no `agent`")
    stages = root.blocks("stages")
    if len(stages) != 1:
        return [*found, f"pipeline: one `stages {{ }}` expected, found {len(stages)}"]
    names: list[str] = []
    found += _stages(stages[0], _agent(root), "pipeline", names)
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        found.append(f"stage names used twice: {duplicates}")
    return found


def _sections(block: Node, allowed: set[str], where: str) -> list[str]:
    found = []
    for node in block.body or []:
        if node.name not in allowed:
            found.append(f"line {node.line}: {where}: unknown section {node.name or node.head!r}")
        if node.name == "post":
            found += [
                f"line {c.line}: {where}: unknown post condition {c.name!r}"
                for c in node.body or []
                if c.name not in POST_CONDITIONS
            ]
    return found


def _agent(block: Node) -> bool:
    """Whether this block gives its steps a node (`agent none` does not)."""
    agents = [n for n in block.body or [] if n.name == "agent"]
    return bool(agents) and not (
        agents[0].body is None and "none" in (t.text for t in agents[0].head)
    )


def _stages(stages: Node, has_agent: bool, where: str, names: list[str]) -> list[str]:
    found = []
    entries = stages.body or []
    if not entries:
        found.append(f"line {stages.line}: {where}: empty `{stages.name}`")
    for stage in entries:
        if stage.name != "stage" or stage.body is None or not stage.label:
            found.append(f"line {stage.line}: {where}: `stage('name') {{ }}` expected")
            continue
        names.append(stage.label)
        here = f"stage {stage.label!r}"
        found += _sections(stage, STAGE_SECTIONS, here)
        bodies = [n for n in stage.body if n.name in STAGE_BODIES]
        if len(bodies) != 1 or bodies[0].body is None:
            found.append(f"line {stage.line}: {here}: one of {'/'.join(STAGE_BODIES)} expected")
            continue
        body = bodies[0]
        agent = has_agent or _agent(stage)
        if body.name == "steps":
            if not body.body:
                found.append(f"line {body.line}: {here}: empty `steps`")
            if not agent:
                found.append(f"line {stage.line}: {here}: runs steps without an agent")
        elif body.name in ("parallel", "stages"):
            if body.name == "parallel" and any(n.name == "agent" for n in stage.body):
                found.append(f"line {stage.line}: {here}: a parallel stage takes no agent")
            found += _stages(body, agent, here, names)
    return found


@dataclass(frozen=True)
class Stage:
    """A stage that runs steps: its name, the top-level stage it belongs to, its shell lines."""

    name: str
    group: int  # index of its top-level stage: stages of group n wait for those of group n - 1
    lines: tuple[str, ...]


def stages(text: str) -> list[Stage]:
    """Every stage that runs steps, in file order, with the lines of its `sh` scripts.

    Raises JenkinsfileError for a script this reader cannot read as text (a variable, a
    `bat`/`pwsh` step), so a command cannot go unnoticed.
    """
    root = pipeline(text)
    found: list[Stage] = []
    for group, top in enumerate(root.blocks("stages")[0].blocks("stage")):
        for leaf in _leaves(top):
            steps = leaf.blocks("steps")[0]
            lines = [line for node in steps.walk() for line in _script(node)]
            found.append(Stage(leaf.label, group, tuple(lines)))
    return found


def _leaves(stage: Node) -> Iterator[Node]:
    if stage.blocks("steps"):
        yield stage
    for name in ("parallel", "stages"):
        for block in stage.blocks(name):
            for child in block.blocks("stage"):
                yield from _leaves(child)


def _script(node: Node) -> list[str]:
    if node.name not in SCRIPT_STEPS:
        return []
    if node.name != "sh":
        raise JenkinsfileError(f"line {node.line}: `{node.name}` step: only `sh` is compared")
    rest = [t for t in node.head[1:] if t.text not in ("(", ")")]
    if len(rest) > 1 and rest[0].text == "script" and rest[1].text == ":":
        rest = rest[2:]
    if not rest or rest[0].kind != "string" or (len(rest) > 1 and rest[1].text != ","):
        raise JenkinsfileError(f"line {node.line}: `sh` without a literal script: {node.head}")
    return [line.strip() for line in rest[0].value.splitlines() if line.strip()]
