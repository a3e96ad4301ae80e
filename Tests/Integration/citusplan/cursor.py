"""A cursor over one statement's tokens, with the few moves a DDL reader needs."""
from .tokens import render, split_top_level


class NotUnderstood(Exception):
    """The statement has a form the reader does not know; the message says which part."""


class Cursor:
    """Reads one statement left to right; `i` only moves forward."""

    def __init__(self, tokens):
        self.tokens = tokens
        self.i = 0

    def peek(self, offset=0):
        index = self.i + offset
        return self.tokens[index] if index < len(self.tokens) else None

    def done(self):
        return self.i >= len(self.tokens)

    def at(self, *words):
        for offset, word in enumerate(words):
            token = self.peek(offset)
            if token is None or not token.is_word(word):
                return False
        return True

    def at_punct(self, char):
        token = self.peek()
        return token is not None and token.is_punct(char)

    def accept(self, *words):
        if self.at(*words):
            self.i += len(words)
            return True
        return False

    def expect(self, *words):
        if not self.accept(*words):
            raise NotUnderstood(f"expected {' '.join(words).upper()} at {self.rest()!r}")

    def next(self):
        token = self.peek()
        if token is None:
            raise NotUnderstood("statement ends too early")
        self.i += 1
        return token

    def name(self):
        """An identifier, schema-qualified or not; the schema part is dropped."""
        token = self.next()
        if not token.is_name:
            raise NotUnderstood(f"expected a name, found {token.value!r}")
        name = token.value
        while self.at_punct(".") and self.peek(1) is not None and self.peek(1).is_name:
            self.i += 1
            name = self.next().value
        return name

    def group(self):
        """The tokens inside the parenthesised group that starts here, the parentheses consumed."""
        if not self.at_punct("("):
            raise NotUnderstood(f"expected ( at {self.rest()!r}")
        depth, start = 0, self.i
        while not self.done():
            token = self.next()
            if token.is_punct("("):
                depth += 1
            elif token.is_punct(")"):
                depth -= 1
                if depth == 0:
                    return self.tokens[start + 1:self.i - 1]
        raise NotUnderstood("unbalanced parentheses")

    def name_list(self):
        return [Cursor(part).name() for part in split_top_level(self.group())]

    def until(self, stop_words):
        """Tokens up to (not including) a top-level word in stop_words, a top-level comma or the end."""
        taken, depth = [], 0
        while not self.done():
            token = self.peek()
            if depth == 0 and taken and (token.is_punct(",") or (token.kind == "word" and token.value in stop_words)):
                break
            if token.is_punct("(") or token.is_punct("["):
                depth += 1
            elif token.is_punct(")") or token.is_punct("]"):
                depth -= 1
            taken.append(self.next())
        return taken

    def rest(self):
        return render(self.tokens[self.i:self.i + 8])

