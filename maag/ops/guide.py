"""The operator's guide (`deploy/README.md`) read as the script it is: its fenced ```sh
blocks, in order, with the variables the guide sets expanded and its `for` loops unrolled, so
a test can apply its commands to a model of the cluster and `maag deploy check` can quote the
guide's own command for what is missing.

What it understands is the little shell the guide is written in: `NAME=value` (and
`export`), `read [-r] [-s] [-p prompt] NAME` (a value the operator types: known only when
run), `eval "$(maag deploy env <environment>)"` (the environment's values, as that command
prints them), `for NAME in words; do ... done`, `;` and `&&` between commands (each taken to
succeed), `|` (the command after it is one too, reading the one before), `\\` at a line's end,
and `#` comments. A `$(...)` is kept as written: its value is known only when run. What it
cannot follow honestly it refuses (GuideError): `||`, a command after `&&` that runs only
when a test holds, `if`/`while`/`case`, and a fenced block of any other language that holds a
`kubectl` command (the walk would not see it). Anything else is passed on as a command, words
split as the shell would.
"""

from __future__ import annotations

import re
import shlex
import textwrap
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from maag.ops.references import DOCKER_CONFIG, TLS, Shape

GUIDE = Path(__file__).resolve().parents[2] / "deploy" / "README.md"
# The sections an installation runs, in order (the others are procedures for later: their
# commands are read, so an unset variable there fails too, but they make nothing at install).
INSTALL_SECTIONS = ("Prerequisites", "First install")
# A fenced block's opening line (its indentation, as a list item's may be, and its language)
# and a closing line; a block is closed at the same indentation as it opened.
_FENCE_OPEN = re.compile(r"^( *)```([\w+-]*)[ \t]*$")
_FENCE_CLOSE = re.compile(r"^( *)```[ \t]*$")
# kubectl run as a command (followed by its arguments), not a word in a path or a name
_KUBECTL = re.compile(r"(?<![\w/.-])kubectl(?=\s)")
# Tests a command after `&&` may depend on, and shell constructs the walk does not follow.
_TESTS = ("test", "[", "[[")
_CONTROL = ("if", "then", "elif", "else", "fi", "while", "until", "case", "esac", "function")
_VARIABLE = re.compile(r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))")
_ASSIGNMENT = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)=(.*)$", re.S)
_MARK = re.compile(r"\x00(\d+)\x00")


class GuideError(ValueError):
    """A command in the guide this reading cannot follow: the message quotes it."""


@dataclass(frozen=True)
class Command:
    """One command as the operator runs it."""

    words: tuple[str, ...]  # as the shell splits them, each `$(...)` kept as written
    text: str  # the line as written, the guide's variables expanded
    section: str  # the guide's heading it is under
    opaque: frozenset[int] = frozenset()  # words whose value is known only when run
    piped: bool = False  # it reads the output of the command before it (`a | b`)
    # the commands before it that set the values it uses only known when run (a `read`, an
    # assignment from a `$(...)`): run them first when running it alone
    setup: tuple[str, ...] = ()

    def known(self, index: int) -> str | None:
        """The word's value, or None where it is only known when run."""
        return None if index in self.opaque else self.words[index]


def sections(markdown: str) -> list[tuple[str, str]]:
    """(heading, text) of each `## ` section, in order (the text before the first is
    under the document's title)."""
    out: list[tuple[str, str]] = []
    heading = ""
    lines: list[str] = []
    fenced = False
    for line in markdown.splitlines(keepends=True):
        if line.lstrip().startswith("```"):
            fenced = not fenced
        if not fenced and (line.startswith("## ") or line.startswith("# ")):
            out.append((heading, "".join(lines)))
            heading, lines = line.lstrip("#").strip(), []
        else:
            lines.append(line)
    out.append((heading, "".join(lines)))
    return [(h, t) for h, t in out if t.strip() or h]


def shell_blocks(markdown: str) -> Iterator[tuple[str, str]]:
    """(section, block) of every ```sh block, in order (a list item's indentation taken off).
    A block of another language holding a `kubectl` command is refused: the operator would run
    it, and the walk would not see it."""
    for heading, text in sections(markdown):
        for language, body in _fenced(text, heading):
            if language == "sh":
                yield heading, body
            elif _KUBECTL.search(body):
                raise GuideError(
                    f"a ```{language or ' '} block under {heading!r} holds a kubectl command: "
                    f"write it as ```sh, for the walk to read it: {body.strip()[:80]!r}"
                )


def _fenced(text: str, heading: str) -> Iterator[tuple[str, str]]:
    """(language, body) of each fenced block of a section, its indentation taken off. A block
    closed at another indentation than it opened, or never closed, is a GuideError: Markdown
    would render the rest differently, and the walk would read a block the operator does not
    see (or skip one they do)."""
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        opened = _FENCE_OPEN.match(lines[i])
        if opened is None:
            i += 1
            continue
        indent, language = opened.groups()
        for j in range(i + 1, len(lines)):
            closed = _FENCE_CLOSE.match(lines[j])
            if closed is None:
                continue
            if closed.group(1) != indent:
                raise GuideError(
                    f"a ```{language} block under {heading!r} opens indented {len(indent)} and "
                    f"closes indented {len(closed.group(1))}: {lines[i + 1].strip()[:60]!r}"
                )
            break
        else:
            raise GuideError(f"a ```{language} block under {heading!r} is never closed")
        yield language, textwrap.dedent("\n".join(lines[i + 1 : j]) + "\n")
        i = j + 1


Evaluate = Callable[[list[str]], Mapping[str, str]]


def deploy_env(words: list[str]) -> Mapping[str, str]:
    """What `maag deploy env <environment>` prints, for `eval "$(...)"`."""
    from maag.ops import environments, overlays

    if words[:3] != ["maag", "deploy", "env"] or len(words) != 4:
        raise GuideError(f"eval of {' '.join(words)!r}: only `maag deploy env <name>` is read")
    return overlays.shell(environments.load(words[3]))


@dataclass
class _State:
    variables: dict[str, str]
    fixed: frozenset[str]  # set by the reader: the guide's own assignment of them is the example
    evaluate: Evaluate
    texts: list[str] = field(default_factory=list)  # each `$(...)` as written, by its mark
    setters: dict[str, str] = field(default_factory=dict)  # opaque variable -> its command

    def mark(self, text: str) -> str:
        self.texts.append(text)
        return f"\x00{len(self.texts) - 1}\x00"

    def restore(self, word: str) -> str:
        return _MARK.sub(lambda m: self.expand_inner(self.texts[int(m.group(1))]), word)

    def expand_inner(self, text: str) -> str:
        """A `$(...)`'s text with the guide's variables expanded (the rest left to run)."""

        def one(m: re.Match[str]) -> str:
            name = m.group(1) or m.group(2)
            value = self.variables.get(name)
            return m.group(0) if value is None or _MARK.search(value) else value

        return _MARK.sub(lambda m: self.texts[int(m.group(1))], _VARIABLE.sub(one, text))

    def raw(self, text: str) -> str:
        """The text as written: each mark back to its `$(...)`, recursively."""
        while _MARK.search(text):
            text = _MARK.sub(lambda m: self.texts[int(m.group(1))], text)
        return text

    def setup(self, piece: str) -> tuple[str, ...]:
        """The commands that set the opaque variables `piece` uses, theirs first."""
        out: list[str] = []
        for m in _VARIABLE.finditer(self.raw(piece)):
            setter = self.setters.get(m.group(1) or m.group(2))
            if setter is not None and setter not in out:
                out.append(setter)
        return tuple(out)


def commands(
    markdown: str,
    given: Mapping[str, str] | None = None,
    evaluate: Evaluate = deploy_env,
) -> list[Command]:
    """Every command of the guide's ```sh blocks in order, loops unrolled. `given` are the
    reader's own values (e.g. the environment): the guide's assignments of them are examples
    and do not override them."""
    state = _State(dict(given or {}), frozenset(given or {}), evaluate)
    out: list[Command] = []
    for heading, block in shell_blocks(markdown):
        pieces = _pieces(_marked(block.replace("\\\n", " "), state))
        out += _run(pieces, state, heading)
    return out


def _marked(text: str, state: _State) -> str:
    """`$(...)` (nested, quoted or not) replaced by a mark that keeps its text; comments
    dropped (before quotes are read: an apostrophe in a comment is no quote)."""
    out: list[str] = []
    i = 0
    quote = ""
    while i < len(text):
        c = text[i]
        if quote != "'" and text.startswith("$(", i):
            depth, j = 1, i + 2
            inner_quote = ""
            while j < len(text) and depth:
                d = text[j]
                if inner_quote:
                    if d == inner_quote:
                        inner_quote = ""
                elif d in "'\"":
                    inner_quote = d
                elif d == "(":
                    depth += 1
                elif d == ")":
                    depth -= 1
                j += 1
            if depth:
                raise GuideError(f"unclosed $( in: {text[i : i + 60]!r}")
            out.append(state.mark(text[i:j]))
            i = j
            continue
        if c == "#" and not quote and (i == 0 or text[i - 1].isspace()):
            while i < len(text) and text[i] != "\n":  # a comment: to the line's end
                i += 1
            continue
        if c in "'\"" and not quote:
            quote = c
        elif c == quote:
            quote = ""
        elif c == "\\" and quote != "'" and i + 1 < len(text):
            out.append(text[i : i + 2])
            i += 2
            continue
        out.append(c)
        i += 1
    return "".join(out)


def _pieces(text: str) -> list[tuple[str, str]]:
    """Simple commands, each with what joins it to the one before ("", `;`, `&&` or `|`):
    split at newlines, `;`, `&&` and `|` outside quotes; comments dropped. `||` is refused."""
    out: list[tuple[str, str]] = []
    current: list[str] = []
    quote = ""
    joiner = ""
    i = 0

    def end(next_joiner: str) -> None:
        nonlocal joiner
        piece = "".join(current).strip()
        if piece:
            out.append((piece, joiner))
        elif next_joiner in ("&&", "|"):
            raise GuideError(f"{next_joiner} with no command before it: {text[:60]!r}")
        current.clear()
        joiner = next_joiner

    while i < len(text):
        c = text[i]
        if quote:
            if c == quote:
                quote = ""
            elif c == "\\" and quote == '"' and i + 1 < len(text):
                current.append(text[i : i + 2])
                i += 2
                continue
            current.append(c)
        elif c in "'\"":
            quote = c
            current.append(c)
        elif c == "\\" and i + 1 < len(text):
            current.append(text[i : i + 2])
            i += 2
            continue
        elif c == "#" and (not current or current[-1].isspace()):
            while i < len(text) and text[i] != "\n":
                i += 1
            continue
        elif text.startswith("||", i):
            raise GuideError(
                f"`{''.join(current).strip()} || ...`: which command runs is known only when "
                "run; write the guide's commands so each runs"
            )
        elif c in "\n;":
            end(";")
        elif text.startswith("&&", i):
            end("&&")
            i += 2
            continue
        elif c == "|":
            end("|")
        else:
            current.append(c)
        i += 1
    if quote:
        raise GuideError(f"unclosed {quote} in: {''.join(current)[:60]!r}")
    end("")
    return out


def _run(pieces: list[tuple[str, str]], state: _State, heading: str) -> list[Command]:
    out: list[Command] = []
    i = 0
    while i < len(pieces):
        piece, joiner = pieces[i]
        first = piece.split(maxsplit=1)[0]
        if first in _CONTROL:
            raise GuideError(f"`{piece}`: {first} is not read by this walk")
        if joiner == "&&" and pieces[i - 1][0].split(maxsplit=1)[0] in _TESTS:
            raise GuideError(
                f"`{pieces[i - 1][0]} && {piece}`: it runs only when the test holds, which "
                "the walk cannot tell"
            )
        if piece.startswith("for "):
            body, i = _loop_body(pieces, i)
            words = shlex.split(_expand(piece, state))
            if len(words) < 3 or words[2] != "in":
                raise GuideError(f"for loop not read: {piece!r}")
            variable, items = words[1], words[3:]
            for item in items:
                state.variables[variable] = item
                out += _run(body, state, heading)
            state.variables.pop(variable, None)
            continue
        command = _one(piece, state, heading, piped=joiner == "|")
        if command is not None:
            out.append(command)
        i += 1
    return out


def _loop_body(pieces: list[tuple[str, str]], start: int) -> tuple[list[tuple[str, str]], int]:
    """The commands between `do` and the matching `done`, and the index after it."""
    body: list[tuple[str, str]] = []
    depth = 0
    i = start + 1
    if i < len(pieces) and pieces[i][0] == "do":
        i += 1
    elif i < len(pieces) and pieces[i][0].startswith("do "):
        body.append((pieces[i][0][3:].strip(), ""))
        i += 1
    else:
        raise GuideError(f"for without do: {pieces[start][0]!r}")
    while i < len(pieces):
        p = pieces[i]
        if p[0].startswith("for "):
            depth += 1
        if p[0] == "done":
            if depth == 0:
                return body, i + 1
            depth -= 1
        body.append(p)
        i += 1
    raise GuideError(f"for without done: {pieces[start][0]!r}")


def _expand(piece: str, state: _State) -> str:
    """The guide's variables expanded outside single quotes; an unknown one is a mistake."""
    out: list[str] = []
    quote = ""
    i = 0
    while i < len(piece):
        c = piece[i]
        if c == "'" and quote != '"':
            quote = "" if quote == "'" else "'"
        elif c == '"' and quote != "'":
            quote = "" if quote == '"' else '"'
        if c == "$" and quote != "'":
            m = _VARIABLE.match(piece, i)
            if m:
                name = m.group(1) or m.group(2)
                if name not in state.variables:
                    raise GuideError(f"${name} is not set before: {state.restore(piece)!r}")
                out.append(state.variables[name])
                i = m.end()
                continue
        out.append(c)
        i += 1
    return "".join(out)


def _one(piece: str, state: _State, heading: str, piped: bool = False) -> Command | None:
    words = shlex.split(piece)
    if words and words[0] == "export":
        words = words[1:]
    if words and all(_ASSIGNMENT.match(w) for w in words):  # NAME=value ...
        for word in words:
            name, value = _ASSIGNMENT.match(word).groups()  # type: ignore[union-attr]
            if name not in state.fixed:
                state.variables[name] = _expand(value, state) if "$" in value else value
                if _MARK.search(value):
                    text = state.restore(_expand(piece, state))
                    state.setters[name] = "\n".join((*state.setup(piece), text))
        return None
    if words and words[0] == "read":  # a value the operator types: known only when run
        k = 1
        while k < len(words):
            if words[k].startswith("-"):
                k += 2 if words[k].endswith("p") else 1  # -p takes the prompt
                continue
            state.variables[words[k]] = state.mark(f"${words[k]}")
            state.setters[words[k]] = state.restore(_expand(piece, state))
            k += 1
        return None
    expanded = _expand(piece, state)
    words = shlex.split(expanded)
    if words[:1] == ["eval"]:
        inner = _MARK.fullmatch(words[1]) if len(words) == 2 else None
        if inner is None:
            raise GuideError(f"eval not read: {piece!r}")
        text = state.expand_inner(state.texts[int(inner.group(1))])
        values = state.evaluate(shlex.split(text[2:-1]))
        state.variables.update({k: v for k, v in values.items() if k not in state.fixed})
        return None
    opaque = frozenset(i for i, w in enumerate(words) if _MARK.search(w))
    return Command(
        words=tuple(state.restore(w) for w in words),
        text=re.sub(r"[ \t]{2,}", " ", state.restore(expanded)),
        section=heading,
        opaque=opaque,
        piped=piped,
        setup=state.setup(piece),
    )


@dataclass(frozen=True)
class Action:
    """What a `kubectl` command of the guide does to the cluster."""

    verb: str  # "namespace" (created), "secret" (created), "label" (a Secret), "apply" (-k)
    namespace: str  # where ("" for a namespace itself; "default" when the command names none)
    name: str  # the namespace's, the Secret's, or the directory applied
    command: Command
    shape: Shape | None = None  # the Secret made
    labels: Mapping[str, str] = field(default_factory=dict)


_SECRET_TYPES = {"tls": TLS, "docker-registry": DOCKER_CONFIG}
# kubectl's verbs that change nothing in the cluster; any other one the model must know.
READ_ONLY_VERBS = frozenset(
    {
        "get",
        "describe",
        "logs",
        "wait",
        "version",
        "cluster-info",
        "explain",
        "api-resources",
        "api-versions",
        "top",
        "diff",
        "kustomize",
        "events",
    }
)
# Verbs read-only only with their subcommand: `rollout status` (not `rollout restart`), `auth
# can-i`; and `config`, which changes at most the operator's own kubeconfig.
READ_ONLY_SUBCOMMANDS = frozenset(
    {("rollout", "status"), ("rollout", "history"), ("auth", "can-i")}
)
LOCAL_VERBS = frozenset({"config"})
# kubectl's global flags that take a value (they may come before the verb): which cluster and
# as whom, not what is done.
_GLOBAL_FLAGS = frozenset(
    {
        "--context",
        "--kubeconfig",
        "--cluster",
        "--user",
        "-s",
        "--server",
        "--request-timeout",
        "--as",
        "--as-group",
        "--token",
    }
)


def actions(command: Command) -> list[Action]:
    """The command's effect on the cluster: namespaces and Secrets created, Secrets labelled,
    an overlay applied. Another command changes nothing modelled; a kubectl verb that changes
    the cluster in a way not modelled here (a delete, a patch, an apply of a file...), or a
    `kubectl create secret` with a flag not understood here, is a GuideError: the walk of the
    install would not be what the operator does."""
    words = list(command.words)
    if words[:1] != ["kubectl"]:
        return []
    namespace = "default"
    rest: list[str] = []
    opaque: set[int] = set()
    i = 1
    while i < len(words):
        w = words[i]
        if w in ("-n", "--namespace"):
            namespace = words[i + 1]
            i += 2
            continue
        if w in _GLOBAL_FLAGS and not rest:
            i += 2
            continue
        if w.startswith("--namespace="):
            namespace = w.split("=", 1)[1]
        elif w.startswith("-n") and len(w) > 2 and not w.startswith("--"):
            namespace = w[2:]
        elif not rest and w.startswith("--") and w.split("=", 1)[0] in _GLOBAL_FLAGS:
            pass  # `--context=x` before the verb
        else:
            if i in command.opaque:
                opaque.add(len(rest))
            rest.append(w)
        i += 1
    if rest[:2] == ["create", "namespace"] or rest[:2] == ["create", "ns"]:
        return [Action("namespace", "", rest[2], command)]
    if rest[:2] == ["create", "secret"]:
        return [_secret(rest, opaque, namespace, command)]
    if rest[:2] == ["label", "secret"]:
        names = [w for w in rest[2:] if "=" not in w and not w.startswith("-")]
        labels = dict(w.split("=", 1) for w in rest[2:] if "=" in w and not w.startswith("-"))
        return [Action("label", namespace, n, command, labels=labels) for n in names]
    if rest[:1] == ["apply"]:
        for k, w in enumerate(rest):
            if w in ("-k", "--kustomize"):
                return [Action("apply", namespace, rest[k + 1], command)]
            if w.startswith("--kustomize="):
                return [Action("apply", namespace, w.split("=", 1)[1], command)]
    if rest and (
        rest[0] in READ_ONLY_VERBS
        or rest[0] in LOCAL_VERBS
        or tuple(rest[:2]) in READ_ONLY_SUBCOMMANDS
    ):
        return []
    raise GuideError(
        f"`{command.text}`: kubectl {' '.join(rest[:2])} changes the cluster, and the walk "
        "does not model it (maag/ops/guide.py, actions)"
    )


def _secret(rest: list[str], opaque: set[int], namespace: str, command: Command) -> Action:
    kind, name = rest[2], rest[3]
    shape = Shape(_SECRET_TYPES.get(kind, "Opaque"), by="the guide")
    for k, flag in enumerate(rest[4:], start=4):
        option, _, value = flag.partition("=")
        known = None if k in opaque else value
        if kind == "generic" and option == "--from-literal":
            key, _, literal = value.partition("=")
            shape.data[key] = None if k in opaque else literal
        elif kind == "generic" and option == "--from-file":
            key = value.partition("=")[0] if "=" in value else Path(value).name
            shape.data[key] = None
        elif kind == "generic" and option == "--type" and known:
            shape.type = known
        elif kind == "tls" and option in ("--cert", "--key"):
            shape.data["tls.crt" if option == "--cert" else "tls.key"] = None
        elif kind == "docker-registry" and option.startswith("--docker-"):
            shape.data[".dockerconfigjson"] = None
        elif option in ("--save-config", "--overwrite"):
            continue
        else:
            raise GuideError(f"`{command.text}`: {flag!r} is not read by this walk")
    if kind not in ("generic", *_SECRET_TYPES):
        raise GuideError(f"`{command.text}`: no secret kind {kind!r}")
    return Action("secret", namespace, name, command, shape=shape)
