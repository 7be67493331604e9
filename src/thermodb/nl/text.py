"""Reading the words of a question: normalisation, quoted literals and numbers in words.

The reader works on a list of :class:`Token`; every later stage marks the tokens it used,
so whatever is left over at the end is exactly what the engine did not understand.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["Token", "tokenize"]

_QUOTES = str.maketrans({"‘": "'", "’": "'", "“": '"', "”": '"', "`": "'", "´": "'"})
_LITERAL = re.compile(r"""(?:(?<=^)|(?<=[\s(:=]))(['"])(.+?)\1(?=$|[\s?.!,;:)])""")
_CONTRACTIONS = (
    (re.compile(r"\b(what|who|where|how|that|there|which|it)'s\b"), r"\1 is"),
    (re.compile(r"n't\b"), " not"),
    (re.compile(r"'(s|re|ve|ll|d)\b"), ""),
    (re.compile(r"s'(?=\s|$)"), "s"),
)
_TOKEN = re.compile(
    r"\d{4}-\d{2}-\d{2}(?:t\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?z?)?"
    r"|\d+(?:,\d{3})*(?:\.\d+)?(?:st|nd|rd|th)?%?(?![a-z0-9_\-])"
    r"|[a-z0-9]+(?:[._\-/:][a-z0-9]+)*%?"
    r"|[<>!]=?|="
    r"|\x00\d+\x00"
)
_UNITS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
    "nineteen": 19, "a dozen": 12, "dozen": 12,
}  # fmt: skip
_TENS = {
    "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
    "eighty": 80, "ninety": 90,
}  # fmt: skip
_SCALES = {"hundred": 100, "thousand": 1000, "million": 1_000_000}


@dataclass
class Token:
    """One word of the question (lower-case), or a quoted literal (``literal`` is True)."""

    text: str
    raw: str
    index: int
    literal: bool = False
    used: str | None = None
    """What consumed this token (``time``, ``field``, ``value``...); None while unread."""

    @property
    def number(self) -> float | None:
        if self.literal:
            return None
        t = self.text.rstrip("%").replace(",", "")
        try:
            return float(t)
        except ValueError:
            return None


def _words_to_numbers(words: list[str]) -> list[str]:
    """``top five`` → ``top 5``; ``twenty five`` → ``25``; ``two hundred`` → ``200``."""
    out: list[str] = []
    i = 0
    while i < len(words):
        w = words[i]
        if w in _UNITS or w in _TENS:
            total, current = 0, 0
            j = i
            while j < len(words):
                x = words[j]
                if x in _UNITS and x != "zero":
                    current += _UNITS[x]
                elif x in _TENS:
                    current += _TENS[x]
                elif x in _SCALES and j > i:
                    current = max(current, 1) * _SCALES[x]
                    if _SCALES[x] >= 1000:
                        total, current = total + current, 0
                elif x == "and" and j > i and j + 1 < len(words) and words[j + 1] in _UNITS:
                    pass
                else:
                    break
                j += 1
            if w == "zero":
                out.append("0")
                i += 1
                continue
            out.append(str(total + current))
            i = j
            continue
        out.append(w)
        i += 1
    return out


def tokenize(question: str) -> list[Token]:
    """Normalise a question into tokens; quoted strings stay whole as literal tokens."""
    text = question.translate(_QUOTES).strip()
    literals: list[str] = []

    def _keep(match: re.Match[str]) -> str:
        literals.append(match.group(2))
        return f" \x00{len(literals) - 1}\x00 "

    text = _LITERAL.sub(_keep, text)
    lowered = text.lower().replace("a dozen", "dozen")
    for pattern, repl in _CONTRACTIONS:
        lowered = pattern.sub(repl, lowered)
    raw_words = _TOKEN.findall(lowered)
    words = _words_to_numbers([w.rstrip(".") if not w.startswith("\x00") else w for w in raw_words])
    tokens: list[Token] = []
    for w in words:
        if w.startswith("\x00"):
            value = literals[int(w.strip("\x00"))]
            tokens.append(Token(value.lower(), value, len(tokens), literal=True))
        elif w:
            tokens.append(Token(w, w, len(tokens)))
    return tokens
