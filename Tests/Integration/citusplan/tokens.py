"""PostgreSQL tokens: enough of the lexer to read migration DDL without guessing at strings.

Invariants: unquoted words are lower-cased (PostgreSQL folds them), quoted identifiers keep
their case, comments are dropped, and string, dollar-quoted and quoted-identifier bodies never
leak a `;` or a keyword into the token stream.
"""
from dataclasses import dataclass


class SQLSyntaxError(Exception):
    """The text is not lexically valid SQL (an unterminated string, comment or identifier)."""


@dataclass(frozen=True)
class Token:
    kind: str  # "word", "quoted", "string", "number", "param", "punct", "op"
    value: str
    line: int

    def is_word(self, *words):
        return self.kind == "word" and self.value in words

    def is_punct(self, char):
        return self.kind == "punct" and self.value == char

    @property
    def is_name(self):
        return self.kind in ("word", "quoted")


_PUNCT = set("(),;.[]")
_OPERATOR_CHARS = set("+-*/<>=~!@#%^&|`?:")
_WORD_START = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_")
_WORD_CHARS = _WORD_START | set("0123456789$")
_STRING_PREFIXES = {"e", "b", "x", "n"}


def tokenize(text):
    """Splits SQL text into tokens; raises SQLSyntaxError naming the line of an unterminated literal."""
    tokens = []
    i, line, n = 0, 1, len(text)
    while i < n:
        ch = text[i]
        if ch == "\n":
            line += 1
            i += 1
        elif ch.isspace():
            i += 1
        elif text.startswith("--", i):
            end = text.find("\n", i)
            i = n if end < 0 else end
        elif text.startswith("/*", i):
            i, line = _skip_block_comment(text, i, line)
        elif ch == "'":
            value, i, line = _quoted(text, i, line, "'", backslashes=False)
            tokens.append(Token("string", value, line))
        elif ch == '"':
            value, i, line = _quoted(text, i, line, '"', backslashes=False)
            tokens.append(Token("quoted", value, line))
        elif ch == "$" and i + 1 < n and text[i + 1].isdigit():
            j = i + 1
            while j < n and text[j].isdigit():
                j += 1
            tokens.append(Token("param", text[i:j], line))
            i = j
        elif ch == "$":
            value, i, line = _dollar_quoted(text, i, line)
            tokens.append(Token("string", value, line))
        elif ch in _WORD_START or ord(ch) > 127:
            j = i
            while j < n and (text[j] in _WORD_CHARS or ord(text[j]) > 127):
                j += 1
            word = text[i:j]
            if j < n and text[j] == "'" and word.lower() in _STRING_PREFIXES:
                value, i, line = _quoted(text, j, line, "'", backslashes=word.lower() == "e")
                tokens.append(Token("string", value, line))
            else:
                tokens.append(Token("word", word.lower(), line))
                i = j
        elif ch.isdigit() or (ch == "." and i + 1 < n and text[i + 1].isdigit()):
            j = i
            while j < n and (text[j].isalnum() or text[j] == "." or (text[j] in "+-" and text[j - 1] in "eE")):
                j += 1
            tokens.append(Token("number", text[i:j], line))
            i = j
        elif ch in _PUNCT:
            tokens.append(Token("punct", ch, line))
            i += 1
        elif ch in _OPERATOR_CHARS:
            j = i
            while j < n and text[j] in _OPERATOR_CHARS and not text.startswith("--", j) and not text.startswith("/*", j):
                j += 1
            tokens.append(Token("op", text[i:j], line))
            i = j
        else:
            raise SQLSyntaxError(f"line {line}: unexpected character {ch!r}")
    return tokens


def split_statements(tokens):
    """The statements of a token stream, split at top-level `;`, without empty ones."""
    return [statement for statement in split_top_level(tokens, ";") if statement]


def split_top_level(tokens, separator=","):
    """Token lists separated by top-level commas."""
    parts, current, depth = [], [], 0
    for token in tokens:
        if token.is_punct("(") or token.is_punct("["):
            depth += 1
        elif token.is_punct(")") or token.is_punct("]"):
            depth -= 1
        if depth == 0 and token.is_punct(separator):
            parts.append(current)
            current = []
        else:
            current.append(token)
    if current:
        parts.append(current)
    return parts


def render(tokens):
    """A readable one-line form of tokens, for messages."""
    parts = []
    for token in tokens:
        if token.kind == "string":
            parts.append("'" + token.value.replace("'", "''") + "'")
        elif token.kind == "quoted":
            parts.append('"' + token.value.replace('"', '""') + '"')
        else:
            parts.append(token.value)
    return " ".join(parts)


def _skip_block_comment(text, i, line):
    depth, j = 0, i
    while j < len(text):
        if text.startswith("/*", j):
            depth += 1
            j += 2
        elif text.startswith("*/", j):
            depth -= 1
            j += 2
            if depth == 0:
                return j, line
        else:
            line += text[j] == "\n"
            j += 1
    raise SQLSyntaxError(f"line {line}: unterminated /* comment")


def _quoted(text, i, line, quote, backslashes):
    start_line, j, out = line, i + 1, []
    while j < len(text):
        ch = text[j]
        if backslashes and ch == "\\" and j + 1 < len(text):
            out.append(text[j + 1])
            j += 2
            continue
        if ch == quote:
            if text.startswith(quote * 2, j):
                out.append(quote)
                j += 2
                continue
            return "".join(out), j + 1, line
        line += ch == "\n"
        out.append(ch)
        j += 1
    raise SQLSyntaxError(f"line {start_line}: unterminated {quote} literal")


def _dollar_quoted(text, i, line):
    j = i + 1
    while j < len(text) and (text[j] in _WORD_CHARS and text[j] != "$"):
        j += 1
    if j >= len(text) or text[j] != "$":
        raise SQLSyntaxError(f"line {line}: stray $")
    tag = text[i:j + 1]
    end = text.find(tag, j + 1)
    if end < 0:
        raise SQLSyntaxError(f"line {line}: unterminated {tag} string")
    body = text[j + 1:end]
    return body, end + len(tag), line + body.count("\n") + tag.count("\n")
