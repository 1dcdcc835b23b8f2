"""Who a speaker is: the person, the organisation and the country a mention names ("US State Department
spokeswoman Elizabeth Trudeau" -> Elizabeth Trudeau, US State Department, United States)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib.resources import files

CENSUS_MAJORITY = 3  # a first name is one sex's when that sex has it this many times as often as the other,
CENSUS_SHARE = 0.01  # and at least this percentage of that sex has it (not "Miki", rare in the US)

# Roles whose words are the person's own, not their organisation's: "the United manager says" is a person
PERSONAL_ROLES = frozenset(
    """coach manager boss captain player star actor actress singer crooner rapper musician comedian host
    presenter striker quarterback pitcher guard forward midfielder defender goalkeeper outfielder infielder
    catcher shortstop linebacker receiver teammate novelist author writer""".split()
)
# Words of a speaker's role: the name after the last of them is the person, the capitalised words before
# it the organisation or country they speak for.
ROLES = PERSONAL_ROLES | frozenset(
    """spokesman spokeswoman spokesperson spokespeople spokesmen minister president secretary official officials
    chief executive director head leader ambassador envoy adviser advisor analyst analysts economist lawyer
    attorney senator governor mayor chairman chairwoman chair ceo cfo cto coo founder co-founder representative
    officer commander general prosecutor judge professor researcher scientist premier chancellor king queen
    prince pope diplomat deputy counsel partner investor owner expert experts executives member members sources
    source editor reporter columnist agent economists researchers scientists lawyers investors officers ceos
    regulator watchdog doctor doctors physician surgeon nurse psychologist psychiatrist therapist historian
    activist candidate investigator investigators""".split()
)
# Nouns that stand for an organisation ("the company said"): resolved to the last speaker of that kind.
ORGANISATION_NOUNS = frozenset(
    """company firm startup agency department ministry group government administration police military army
    organization organisation club family leadership""".split()
)
TITLES = frozenset(
    """President Vice Prime Minister Secretary Chancellor Senator Sen Rep Representative Gov Governor Mayor
    King Queen Prince Pope Ambassador General Gen Admiral Judge Justice Speaker Leader Chairman Chairwoman
    Chair Director Commissioner Chief CEO CFO CTO COO Founder Spokesman Spokeswoman Spokesperson Attorney
    Premier Deputy Foreign Defense Defence Interior Finance Dr Mr Mrs Ms Professor Prof Coach Manager
    Captain Sir Lord Lady Dame Minister's Secretary-General""".split()
)
ORGANISATION_WORDS = frozenset(
    """Department Ministry Agency Office Council Commission Committee Company Corp Corporation Inc Ltd LLC
    Group Bank Fund Authority Board Bureau Service Services Police Army Navy Force Forces Court Party
    University Institute Association Union Organization Organisation Foundation Federation League Club
    Parliament Congress Senate House Government Administration Cabinet Times Post News Journal Reuters
    Network Labs Technologies Motors Airlines Media Studios Entertainment Pentagon Kremlin Street Sea River
    Avenue City County Valley Bay Island Islands Mountain Mountains Square Park Stadium Arena Center Centre
    Holdings Capital Partners Ventures Management Investments Securities Systems Energy Resources Mining Telecom
    United FC Club Rovers Athletic Agency Studio Games Chronicle Tribune Herald Gazette Daily Observer Press
    Magazine Review Insider Wire Radio Television TV""".split()
)
# Countries and bodies, by the names and adjectives news gives them (world knowledge, kept short).
_COUNTRIES: dict[str, tuple[str, ...]] = {
    "United States": ("US", "U.S.", "USA", "America", "American", "Washington", "White House", "State Department"),
    "United Kingdom": ("UK", "U.K.", "Britain", "British", "Downing Street"),
    "Russia": ("Russian", "Kremlin", "Moscow"),
    "Turkey": ("Turkish", "Ankara", "Türkiye"),
    "China": ("Chinese", "Beijing"),
    "Ukraine": ("Ukrainian", "Kyiv"),
    "Syria": ("Syrian", "Damascus"),
    "Iran": ("Iranian", "Tehran"),
    "Iraq": ("Iraqi", "Baghdad"),
    "Israel": ("Israeli",),
    "Palestine": ("Palestinian",),
    "France": ("French", "Elysee", "Élysée"),
    "Germany": ("German", "Berlin"),
    "Italy": ("Italian",),
    "Spain": ("Spanish",),
    "Japan": ("Japanese", "Tokyo"),
    "India": ("Indian",),
    "Pakistan": ("Pakistani",),
    "Canada": ("Canadian",),
    "Mexico": ("Mexican",),
    "Brazil": ("Brazilian",),
    "Australia": ("Australian",),
    "Saudi Arabia": ("Saudi",),
    "Egypt": ("Egyptian",),
    "Qatar": ("Qatari",),
    "Jordan": ("Jordanian",),
    "Lebanon": ("Lebanese",),
    "North Korea": ("North Korean", "Pyongyang"),
    "South Korea": ("South Korean", "Seoul"),
    "Taiwan": ("Taiwanese",),
    "Poland": ("Polish",),
    "Netherlands": ("Dutch",),
    "Sweden": ("Swedish",),
    "Norway": ("Norwegian",),
    "Ireland": ("Irish",),
    "Greece": ("Greek",),
    "Hungary": ("Hungarian",),
    "South Africa": ("South African",),
    "Nigeria": ("Nigerian",),
    "Argentina": ("Argentine", "Argentinian"),
    "United Nations": ("UN", "U.N."),
    "European Union": ("EU", "E.U.", "European Commission", "Brussels"),
    "NATO": ("Nato",),
}
_COUNTRY_OF = {alias.lower(): country for country, aliases in _COUNTRIES.items() for alias in (country, *aliases)}
PRONOUNS = frozenset({"he", "she"})
_NAME_JOINS = frozenset({"of", "for", "and", "on"})  # inside an organisation's name


@dataclass(frozen=True)
class Speaker:
    """A speaker as an article names them."""

    mention: str  # as written: "US State Department spokeswoman Elizabeth Trudeau"
    person: str | None = None  # "Elizabeth Trudeau"
    organisation: str | None = None  # "US State Department"
    country: str | None = None  # "United States"


def pronoun_of_first_name(first: str) -> str | None:
    """ "he" or "she": what most people of this first name are called, by the 1990 US Census's first names of
    men and of women (the `names` package); None for a name it lacks, rare there, or that both often have."""
    return _census_first_names().get(first.title())


@cache
def _census_first_names() -> dict[str, str]:
    shares: dict[str, dict[str, float]] = {}
    for sex, pronoun in (("male", "he"), ("female", "she")):
        for line in (files("names") / f"dist.{sex}.first").read_text().splitlines():
            name, share = line.split()[:2]  # "MARY 2.629 2.629 1": the name, its percentage of that sex
            shares.setdefault(name.title(), {})[pronoun] = float(share)
    return {
        name: max(by, key=lambda pronoun: by[pronoun])
        for name, by in shares.items()
        if max(by.values()) >= max(CENSUS_SHARE, CENSUS_MAJORITY * min(by.get("he", 0.0), by.get("she", 0.0)))
    }


def names_of_country(country: str) -> tuple[str, ...]:
    """A country or body and the names news gives it ("United States", "US", "American", ...)."""
    return (country, *_COUNTRIES.get(country, ()))


def country_of(text: str) -> str | None:
    """The country or body `text` names first ("US State Department" -> United States), by longest alias."""
    words = text.replace("’", "'").split()
    for i in range(len(words)):
        for width in (3, 2, 1):
            phrase = " ".join(words[i : i + width]).removesuffix("'s").strip(",.")
            if (found := _COUNTRY_OF.get(phrase.lower())) and (phrase[0].isupper()):
                return found
    return None


def is_role(word: str) -> bool:
    """A word of a role or a title ("spokesman", "President")."""
    bare = _bare(word)
    return bare.lower() in ROLES or bare in TITLES


def _possessive(word: str) -> bool:
    return word.endswith(("'s", "’s"))


def _bare(word: str) -> str:
    return word.strip(",.()").removesuffix("'s").removesuffix("’s")


def _capitalised(word: str) -> bool:
    return word[:1].isupper() or word[:1].isdigit()


def parse(mention: str) -> Speaker:
    """The person, organisation and country of a speaker's mention: the person is the run of capitalised words
    at its end after a role or any lower-case word ("St. Louis Cardinals outfielder Lars Nootbaar"), the
    organisation the capitalised words before (titles and nationalities aside: "Turkish Foreign Minister")
    or those of an apposition ("Ole Obermann, TikTok's Global Head of Music")."""
    mention = " ".join(mention.split())  # "Check Point (CHKP) President": the blanked aside's spaces
    bare = re.sub(r"^(?:the|a|an|The|A|An)\s+", "", mention.strip(" ,.")).strip()
    the, mention = bare != mention.strip(" ,."), bare  # "the Baltimore Banner": no person takes "the"
    head, _, appositive = mention.partition(", ")
    words = head.split()
    country = country_of(mention)
    for i, word in enumerate(words):  # "a spokesperson for Google"
        if i and word.lower() in ("for", "of", "at") and is_role(words[i - 1]) and not _capitalised(words[i - 1]):
            return Speaker(mention, None, _organisation(words[i + 1 :]), country)
    run = len(words)
    while run > 0:  # back to a role or a possessive: "Oregon’s Cantu-Schomus", "Google’s Sundar Pichai"
        word, earlier = words[run - 1], words[run - 2] if run > 1 else ""
        if _capitalised(word) and not is_role(word) and not _possessive(word):
            run -= 1
        elif word in _NAME_JOINS and run < len(words) and _capitalised(earlier) and not is_role(earlier):
            run -= 1  # "Royal Swedish Academy of Sciences"
        else:
            break
    person_words, before = words[run:], words[:run]
    if len(person_words) > 2 and person_words[0].isupper() and len(person_words[0]) > 1:  # "to NATO Kurt Volker"
        person_words, before = person_words[1:], [*before, person_words[0]]
    if any(_bare(w) in ORGANISATION_WORDS or w in _NAME_JOINS for w in person_words):
        # an organisation after all: "publisher Helena World Chronicle", "Ukraine's Defense Ministry"
        named = _organisation(words) or " ".join(_bare(w) for w in person_words)
        return Speaker(mention, None, named, country)
    if not before:  # only capitalised words: a person of two words or more, else an organisation or country
        if country is not None and country_of(words[0]) == country and len(words) <= 2:
            return Speaker(mention, None, None, country)  # "Turkey", "the US"
        if len(words) == 1 or the or any(_bare(w) in ORGANISATION_WORDS for w in words):
            return Speaker(mention, None, _bare(head), country)  # "Google", "the State Department", "WSJ’s"
        return Speaker(mention, head, _organisation(appositive.split()), country)  # "Farhan Haq"
    person = " ".join(person_words) if person_words else None
    organisation = _organisation(before) or _organisation(appositive.split())
    return Speaker(mention, person, organisation, country)


def _organisation(words: list[str]) -> str | None:
    """The longest run of capitalised words that are no title or nationality ("US State Department"), with
    the small words inside a name ("Royal Swedish Academy of Sciences", "Centers for Disease Control")."""
    best: list[str] = []
    current: list[str] = []
    for i, word in enumerate([*words, "."]):
        bare = _bare(word)
        following = words[i + 1] if i + 1 < len(words) else ""
        named_by = _bare(following) in ORGANISATION_WORDS  # "Defense Ministry": a title's word, naming a body
        # a title's word inside a name: "Ministry of Defence", "Office of the Australian Information Commissioner"
        inner = any(w in _NAME_JOINS for w in current)
        after_the = words[i + 2] if following == "the" and i + 2 < len(words) else ""
        if current and word in _NAME_JOINS and (_capitalised(following) or _capitalised(after_the)):
            current.append(word)
        elif current and current[-1] in _NAME_JOINS and word == "the" and _capitalised(following):
            current.append(word)  # "Institute for the Study of War", "Office of the Australian ..."
        elif (
            _capitalised(word)
            and (named_by or inner or bare not in TITLES and bare.lower() not in ROLES)
            and not (_nationality(bare) and not current)
        ):
            current.append(bare if _possessive(word) else word.strip(",()"))
            if _possessive(word) or word.endswith(","):
                best, current = max(best, current, key=len), []
        else:
            best, current = max(best, current, key=len), []
    return " ".join(best) or None


def _nationality(word: str) -> bool:
    """An adjective of a country ("Turkish"), as opposed to a body's name ("UN", "US")."""
    found = _COUNTRY_OF.get(word.lower())
    return found is not None and word != found and not word.isupper() and "." not in word
