"""Owner names compared across spellings: Arabic normalisation, Latin transliterations, a
consonant skeleton common to both scripts, and a similarity score (Jaro-Winkler per name part).

Pure: the applications service, which holds the names, compares them; nothing here leaves it.
A match is a flag for staff (`possible_duplicate_name`), never a rejection: Iraqi names repeat
(brothers share the father's and grandfather's names; "Mohammed Ali Hussein" is many people).
"""

from __future__ import annotations

import re
import unicodedata

# Arabic: the forms of alef and hamza, ta marbuta, alef maqsura (the list).
_ARABIC_FOLD = str.maketrans(
    {"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ؤ": "و", "ئ": "ي", "ء": None, "ة": "ه", "ى": "ي", "ـ": None}
)
_TASHKEEL = re.compile("[\u064b-\u065f\u0670]")
_CONNECTORS = frozenset({"bin", "ibn", "ben", "bint", "binti", "بن", "ابن", "بنت"})
_ARTICLES = frozenset({"al", "el", "ul", "ال"})
# Arabic letters to a Latin consonant class (long vowels and ع are dropped after the first letter).
_ARABIC_SOUNDS = {
    "ا": "",
    "ب": "b",
    "ت": "t",
    "ث": "t",
    "ج": "j",
    "ح": "h",
    "خ": "x",
    "د": "d",
    "ذ": "d",
    "ر": "r",
    "ز": "z",
    "س": "s",
    "ش": "c",
    "ص": "s",
    "ض": "d",
    "ط": "t",
    "ظ": "d",
    "ع": "",
    "غ": "g",
    "ف": "f",
    "ق": "k",
    "ك": "k",
    "ل": "l",
    "م": "m",
    "ن": "n",
    "ه": "h",
    "و": "w",
    "ي": "y",
    "پ": "b",
    "چ": "c",
    "گ": "g",
    "ڤ": "f",
    "ک": "k",
    "ی": "y",
}
# Latin digraphs first, then letters (vowels and y/w after the first letter are dropped).
_LATIN_DIGRAPHS = (("kh", "x"), ("gh", "g"), ("sh", "c"), ("ch", "c"), ("dh", "d"), ("th", "t"), ("ph", "f"))
_LATIN_SOUNDS = {"q": "k", "c": "k", "v": "f", "p": "b", "x": "ks"}
_VOWELS = frozenset("aeiouyw")
_ABD = re.compile(r"^(abd|abdu|abdul|abdel|abdal|abdil|abdur|abdus|abdun|abduz|abdud|abdut)$")


def normalise_arabic(text: str) -> str:
    """The issue's folding: hamza and alef forms, ta marbuta, alef maqsura, tashkeel, tatweel."""
    return _TASHKEEL.sub("", unicodedata.normalize("NFC", text)).translate(_ARABIC_FOLD)


def _tokens(full_name: str) -> list[str]:
    """Words of the name, lower case, connectors and articles dropped, "Abd al-X" joined."""
    text = normalise_arabic(full_name).lower()
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c) or _is_arabic(c))
    text = re.sub(r"['’`ʿʾ]", "", text)
    words = [w for w in re.split(r"[\s\-_.,]+", text) if w]
    out: list[str] = []
    pending_abd = False
    for word in words:
        if word.startswith("ال") and len(word) > 3:
            word = word[2:]  # the article on an Arabic word (الجبوري)
        if word in _CONNECTORS or word in _ARTICLES:
            continue
        if word.startswith("abd") and _ABD.match(word) is None and len(word) > 3:
            word = "abd" + re.sub(r"^(u|e|a|i)?(l|r|s|n|z|d|t)?(?=.)", "", word[3:], count=1)
            out.append(word)
            continue
        if word == "عبد" or _ABD.match(word):
            pending_abd = True
            continue
        if pending_abd:
            word, pending_abd = ("عبد" if _is_arabic(word[0]) else "abd") + word, False
        out.append(word)
    if pending_abd:
        out.append("abd")
    return out


def _is_arabic(c: str) -> bool:
    return "\u0600" <= c <= "\u06ff"


def _skeleton(word: str) -> str:
    if word.startswith("عبد") and len(word) > 3 and word[3:].startswith("ال"):
        word = "عبد" + word[5:]  # عبدالله, عبدالرحمن
    if word[:1] and _is_arabic(word[0]):
        sounds = [_ARABIC_SOUNDS.get(c, "") for c in word]
    else:
        for digraph, sound in _LATIN_DIGRAPHS:
            word = word.replace(digraph, sound.upper())
        sounds = [_LATIN_SOUNDS.get(c, c.lower()) if c.isalpha() else "" for c in word]
    out: list[str] = []
    for index, sound in enumerate(sounds):
        if not sound or (index > 0 and sound in _VOWELS) or (index == 0 and sound in "aeiou"):
            continue
        if out and out[-1] == sound:
            continue  # doubled letters, shadda
        out.append(sound)
    if len(out) > 1 and out[-1] == "h":
        out.pop()  # Fatima/Fatimah/فاطمة, Abdullah/عبدالله
    return "".join(out)


def skeleton(full_name: str) -> list[str]:
    """One consonant skeleton per name part, the same for the usual spellings in either script:
    "Mohammed Ali Hussein", "Muhammad Ali Husain" and "مُحَمَّد علي حسين" give ["mhmd", "l", "hsn"]."""
    return [s for s in (_skeleton(t) for t in _tokens(full_name)) if s]


def block(parts: list[str]) -> str:
    """A cheap key to find candidates: the first sound of the first two parts."""
    return "".join(p[0] for p in parts[:2])


def jaro_winkler(a: str, b: str) -> float:
    if a == b:
        return 1.0
    if not a or not b:
        return 0.0
    window = max(max(len(a), len(b)) // 2 - 1, 0)
    used = [False] * len(b)
    matched_a: list[str] = []
    for i, c in enumerate(a):
        for j in range(max(0, i - window), min(len(b), i + window + 1)):
            if not used[j] and b[j] == c:
                used[j] = True
                matched_a.append(c)
                break
    if not matched_a:
        return 0.0
    matched_b = [b[j] for j in range(len(b)) if used[j]]
    transpositions = sum(x != y for x, y in zip(matched_a, matched_b, strict=True)) / 2
    m = len(matched_a)
    jaro = (m / len(a) + m / len(b) + (m - transpositions) / m) / 3
    prefix = 0
    for x, y in zip(a[:4], b[:4], strict=False):
        if x != y:
            break
        prefix += 1
    return jaro + prefix * 0.1 * (1 - jaro)


def similarity(a: list[str], b: list[str]) -> float:
    """0..1: name parts compared in order (given, father's, grandfather's…); a part one name has
    and the other lacks (a tribe name left out) costs a little, not a mismatch."""
    if not a or not b:
        return 0.0
    shared = min(len(a), len(b))
    mean = sum(jaro_winkler(x, y) for x, y in zip(a, b, strict=False)) / shared
    penalty = 0.04 * abs(len(a) - len(b)) + (0.1 if shared < 2 else 0.0)
    return max(0.0, mean - penalty)


THRESHOLD = 0.92  # chosen on the generated set (docs/intake.md has the figures)
