"""Who a speaker is: the person, the organisation and the country a mention names ("US State Department
spokeswoman Elizabeth Trudeau" -> Elizabeth Trudeau, US State Department, United States)."""

from __future__ import annotations

import re
from dataclasses import dataclass

# Words of a speaker's role: the name after the last of them is the person, the capitalised words before
# it the organisation or country they speak for.
ROLES = frozenset(
    """spokesman spokeswoman spokesperson spokespeople spokesmen minister president secretary official officials
    chief executive director head leader ambassador envoy adviser advisor analyst analysts economist lawyer
    attorney senator governor mayor chairman chairwoman chair ceo cfo cto coo founder co-founder representative
    officer commander general prosecutor judge professor researcher scientist coach manager premier chancellor
    king queen prince pope diplomat deputy counsel partner investor owner boss expert experts executives member
    members sources source captain player striker quarterback pitcher guard forward midfielder defender
    goalkeeper author writer editor reporter columnist""".split()
)
# Nouns that stand for an organisation ("the company said"): resolved to the last speaker of that kind.
ORGANISATION_NOUNS = frozenset(
    "company firm startup agency department ministry group government administration police military army".split()
)
TITLES = frozenset(
    """President Vice Prime Minister Secretary Chancellor Senator Sen Rep Representative Gov Governor Mayor
    King Queen Prince Pope Ambassador General Gen Admiral Judge Justice Speaker Leader Chairman Chairwoman
    Chair Director Commissioner Chief CEO CFO CTO COO Founder Spokesman Spokeswoman Spokesperson Attorney
    Premier Deputy Foreign Defense Defence Interior Finance Dr Mr Mrs Ms Professor Prof Coach Manager
    Captain Sir Lord Lady Dame Minister's""".split()
)
ORGANISATION_WORDS = frozenset(
    """Department Ministry Agency Office Council Commission Committee Company Corp Corporation Inc Ltd LLC
    Group Bank Fund Authority Board Bureau Service Services Police Army Navy Force Forces Court Party
    University Institute Association Union Organization Organisation Foundation Federation League Club
    Parliament Congress Senate House Government Administration Cabinet Times Post News Journal Reuters
    Network Labs Technologies Motors Airlines Media Studios Entertainment Pentagon Kremlin""".split()
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


@dataclass(frozen=True)
class Speaker:
    """A speaker as an article names them."""

    mention: str  # as written: "US State Department spokeswoman Elizabeth Trudeau"
    person: str | None = None  # "Elizabeth Trudeau"
    organisation: str | None = None  # "US State Department"
    country: str | None = None  # "United States"


def country_of(text: str) -> str | None:
    """The country or body `text` names first ("US State Department" -> United States), by longest alias."""
    words = text.replace("’", "'").split()
    for i in range(len(words)):
        for width in (3, 2, 1):
            phrase = " ".join(words[i : i + width]).removesuffix("'s").strip(",.")
            if (found := _COUNTRY_OF.get(phrase.lower())) and (phrase[0].isupper()):
                return found
    return None


def _is_role(word: str) -> bool:
    bare = word.strip(",.").removesuffix("'s").removesuffix("’s")
    return bare.lower() in ROLES or bare in TITLES


def parse(mention: str) -> Speaker:
    """The person, organisation and country of a speaker's mention (articles' earlier mentions not used)."""
    mention = re.sub(r"^(?:the|a|an|The|A|An)\s+", "", mention.strip(" ,.")).strip()
    words = mention.split()
    last_role = max((i for i, w in enumerate(words) if _is_role(w)), default=-1)
    after = [w for w in words[last_role + 1 :] if w[:1].isupper()]
    kept = words[:last_role] if last_role > 0 else []
    while kept and _is_role(kept[-1]):  # "Turkish Foreign Minister": the title is no organisation
        kept.pop()
    before = re.sub(r"['’]s$", "", " ".join(kept).strip(" ,"))
    if before and country_of(before) is not None and len(before.split()) == 1:
        before = ""  # "Turkish": a country, not an organisation
    country = country_of(mention)
    if last_role >= 0:  # "Erdogan spokesman Ibrahim Kalin", "a spokesperson for Google"
        tail = words[last_role + 1 :]
        if tail[:1] and tail[0].lower() in ("for", "of", "at"):  # "a spokesperson for Google"
            organisation = " ".join(w for w in tail[1:]).strip(" ,") or None
            return Speaker(mention, None, _organisation(organisation), country)
        person = " ".join(after) if after and len(after) == len(tail) else None
        return Speaker(mention, person, _organisation(before), country)
    if country is not None and country_of(words[0]) == country and len(words) <= 3:
        return Speaker(mention, None, mention if len(words) > 1 else None, country)  # "Turkey", "the US"
    if any(w.strip(",.") in ORGANISATION_WORDS for w in words) or len(words) == 1:
        return Speaker(mention, None, mention, country)  # "the State Department", "Google"
    return Speaker(mention, mention, None, country)  # "Farhan Haq"


def _organisation(text: str | None) -> str | None:
    """An organisation named before a role: capitalised words only ("agency" is no name)."""
    if not text or not text[:1].isupper():
        return None
    return text
