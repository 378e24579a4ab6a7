"""How well owner-name matching finds the same person: a seeded, generated set of true variants
(one person written as people write them: the other script, another transliteration, tashkeel,
tatweel, hamza forms, "bin", the tribe name left out, one typo) and of distinct people (drawn
from the same common names, so brothers and cousins share parts), scored at the threshold.

    python -m cli.name_matching [--seed 16] [--people 2000]

prints precision and recall; docs/intake.md records the figures of the default run.
"""

from __future__ import annotations

import argparse
import random
from dataclasses import dataclass

from services.applications.domain import names

# (Arabic, Latin spellings seen on Iraqi documents and forms)
GIVEN: list[tuple[str, tuple[str, ...]]] = [
    ("محمد", ("Mohammed", "Muhammad", "Mohamed", "Mohammad", "Muhammed")),
    ("أحمد", ("Ahmed", "Ahmad")),
    ("علي", ("Ali", "Aly")),
    ("حسين", ("Hussein", "Husain", "Hussain", "Husayn")),
    ("حسن", ("Hassan", "Hasan")),
    ("عمر", ("Omar", "Umar")),
    ("عبد الله", ("Abdullah", "Abd Allah", "Abdallah")),
    ("عبد الرحمن", ("Abdul Rahman", "Abd al-Rahman", "Abdulrahman", "Abdurrahman")),
    ("قاسم", ("Qasim", "Kassem", "Qassim", "Kasim")),
    ("خالد", ("Khalid", "Khaled")),
    ("حيدر", ("Haidar", "Hayder", "Haider")),
    ("مصطفى", ("Mustafa", "Mostafa")),
    ("يوسف", ("Yousef", "Yusuf", "Yousif")),
    ("إبراهيم", ("Ibrahim", "Ebrahim")),
    ("جعفر", ("Jaafar", "Jafar", "Ja'far")),
    ("سعد", ("Saad", "Sa'ad")),
    ("كريم", ("Karim", "Kareem")),
    ("مهدي", ("Mahdi", "Mehdi")),
    ("عباس", ("Abbas",)),
    ("صالح", ("Salih", "Saleh")),
    ("فاطمة", ("Fatima", "Fatimah")),
    ("زينب", ("Zainab", "Zaynab")),
    ("عائشة", ("Aisha", "Ayesha")),
    ("مريم", ("Maryam", "Mariam")),
    ("نور", ("Noor", "Nour")),
    ("هدى", ("Huda", "Houda")),
    ("سارة", ("Sara", "Sarah")),
    ("رقية", ("Ruqaya", "Roqaya")),
    ("وائل", ("Wael", "Wail")),
    ("ياسر", ("Yasser", "Yasir")),
    ("طارق", ("Tariq", "Tarek")),
    ("ماجد", ("Majid", "Majed")),
    ("ناصر", ("Nasser", "Nasir")),
    ("سلمان", ("Salman",)),
    ("رشيد", ("Rashid", "Rasheed")),
]
TRIBES: list[tuple[str, tuple[str, ...]]] = [
    ("الجبوري", ("al-Jubouri", "Al Jubori", "Aljabouri")),
    ("التميمي", ("al-Tamimi", "Al-Tamimi", "Altamimi")),
    ("الدليمي", ("al-Dulaimi", "Al Dulaimi")),
    ("العبيدي", ("al-Obaidi", "Al-Ubaidi")),
    ("الشمري", ("al-Shammari", "Al Shammari")),
    ("الربيعي", ("al-Rubaie", "Al-Rubaiee")),
]
TASHKEEL = "\u064e\u064f\u0650\u0651\u0652"


@dataclass(frozen=True)
class Person:
    parts: list[int]  # indexes into GIVEN: given, father's, grandfather's
    tribe: int | None


def _arabic(rng: random.Random, person: Person) -> str:
    words = [GIVEN[i][0] for i in person.parts] + ([TRIBES[person.tribe][0]] if person.tribe is not None else [])
    out = []
    for word in words:
        if rng.random() < 0.3:  # tashkeel
            word = "".join(c + (rng.choice(TASHKEEL) if rng.random() < 0.4 else "") for c in word)
        if rng.random() < 0.15 and len(word) > 2:  # tatweel
            word = word[:2] + "\u0640" + word[2:]
        if rng.random() < 0.3:  # hamza / alef / ta marbuta / alef maqsura written plainly or not
            word = word.replace("ا", rng.choice("اأ")).replace("ه", rng.choice("هة")).replace("ي", rng.choice("يى"))
        out.append(word)
    if rng.random() < 0.2:
        out.insert(1, "بن")
    return " ".join(out)


def _latin(rng: random.Random, person: Person) -> str:
    words = [rng.choice(GIVEN[i][1]) for i in person.parts]
    if person.tribe is not None:
        words.append(rng.choice(TRIBES[person.tribe][1]))
    if rng.random() < 0.2:
        words.insert(1, rng.choice(("bin", "ibn")))
    return " ".join(words)


def _typo(rng: random.Random, text: str) -> str:
    letters = [i for i, c in enumerate(text) if c.isalpha()]
    i = rng.choice(letters)
    return text[:i] + text[i + 1 :] if rng.random() < 0.5 else text[:i] + text[i] + text[i:]


def written(rng: random.Random, person: Person) -> str:
    """One way this person's name is written on a form."""
    if rng.random() < 0.3 and person.tribe is not None:
        person = Person(person.parts, None)  # the tribe name left out
    text = _arabic(rng, person) if rng.random() < 0.5 else _latin(rng, person)
    return _typo(rng, text) if rng.random() < 0.1 else text


def measure(seed: int = 16, people: int = 2000, threshold: float = names.THRESHOLD) -> dict[str, float]:
    rng = random.Random(seed)  # noqa: S311 - a reproducible test set, not a secret
    crowd = [
        Person(
            [rng.randrange(len(GIVEN)) for _ in range(3)], rng.randrange(len(TRIBES)) if rng.random() < 0.6 else None
        )
        for _ in range(people)
    ]
    pairs: list[tuple[str, str, bool]] = [(written(rng, p), written(rng, p), True) for p in crowd]
    for index in range(people * 5):
        a, b = rng.sample(crowd, 2)
        if index % 2:  # relatives: brothers (another given name), cousins, a namesake's son
            part = rng.randrange(3)
            parts = list(a.parts)
            parts[part] = rng.choice([i for i in range(len(GIVEN)) if i != a.parts[part]])
            b = Person(parts, a.tribe)
        if a.parts != b.parts:  # two people of exactly the same name are one name: not countable
            pairs.append((written(rng, a), written(rng, b), False))
    tp = fp = fn = tn = 0
    for x, y, same in pairs:
        hit = names.similarity(names.skeleton(x), names.skeleton(y)) >= threshold
        tp, fp, fn, tn = (
            tp + (hit and same),
            fp + (hit and not same),
            fn + (same and not hit),
            tn + (not hit and not same),
        )
    return {
        "pairs_same": tp + fn,
        "pairs_distinct": fp + tn,
        "precision": tp / (tp + fp) if tp + fp else 1.0,
        "recall": tp / (tp + fn) if tp + fn else 1.0,
        "false_positive_rate": fp / (fp + tn) if fp + tn else 0.0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=16)
    parser.add_argument("--people", type=int, default=2000)
    parser.add_argument("--threshold", type=float, default=names.THRESHOLD)
    args = parser.parse_args()
    for key, value in measure(args.seed, args.people, args.threshold).items():
        print(f"{key}: {value:.4f}" if isinstance(value, float) else f"{key}: {value}")


if __name__ == "__main__":
    main()
