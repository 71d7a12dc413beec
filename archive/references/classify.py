"""Deciding what kind of source a detected name is: publication, organisation, document or person.

Words in the name decide ("Ministry" is an organisation, "Times" a publication); a short run of
capitalised words with none of them is taken for a person, which the archivist then confirms; one
word alone is an organisation ("Eurostat", "Lufthansa"), since wire copy names a person in full
before it uses the surname alone (detect.py turns that surname back into the full name).
"""

from __future__ import annotations

import functools
import re

PUBLICATION_WORDS = {
    "times", "post", "journal", "news", "herald", "guardian", "tribune", "telegraph", "gazette",
    "daily", "beast", "magazine", "review", "chronicle", "observer", "independent", "mirror",
    "express", "monitor", "weekly", "bulletin", "radio", "tv", "television", "broadcasting",
    "press", "wire", "newspaper", "globe", "star", "sun", "courier", "record", "register",
    "dispatch", "inquirer", "examiner", "standard", "mail", "today", "insider", "blog", "podcast",
    "reports", "dealer", "zeitung", "abendblatt", "tageblatt", "tagblatt", "kurier", "rundschau",
    "anzeiger", "dagblad", "tidning", "gazzetta", "giornale", "diario", "jornal", "gazeta", "fm", "folha",
    "correio", "advertiser",
}  # fmt: skip
ORGANISATION_WORDS = {
    "ministry", "department", "office", "police", "forces", "force", "army", "navy", "military",
    "government", "council", "committee", "commission", "university", "institute", "association",
    "union", "party", "bank", "company", "corporation", "corp", "inc", "ltd", "foundation",
    "organization", "organisation", "court", "parliament", "senate", "congress", "kremlin",
    "pentagon", "service", "services", "authority", "bureau", "center", "centre", "group",
    "agency", "embassy", "administration", "house", "nations", "federation", "coalition",
    "alliance", "board", "secretariat", "directorate", "inspectorate", "command", "cabinet", "presidency",
    "trust", "fund", "society", "charity", "institution", "museum", "hospital", "school", "college",
    "club", "network", "church", "watch", "international", "observatory", "airlines", "airways",
    "airport", "motor", "motors", "builders", "industries", "holdings", "partners", "capital", "securities",
    "economics", "technologies", "labs", "pharmaceuticals", "energy", "water", "power", "electric",
    "rail", "railways", "resources", "unit", "tribunal", "regulator", "inquiry", "programme",
    "program", "initiative", "project", "campaign", "movement", "front", "forum",
    # companies and charities named by their trade, not by a person
    "pharma", "pharmaceutical", "research", "consult", "consulting", "consultancy", "consultants",
    "strategies", "analytics", "insights", "interactive", "associates", "advisers", "advisors",
    "systems", "solutions", "software", "ventures", "investors", "investments", "insurance",
    "assurance", "oil", "gas", "petroleum", "mining", "steel", "chemicals", "foods", "brands",
    "logistics", "shipping", "telecom", "telecoms", "grid", "utilities", "airline", "laboratory",
    "laboratories", "clinic", "academy", "exchange", "cross", "crescent", "league", "chamber",
    "guard", "coastguard", "corps", "hotline", "helpline", "plc", "llc", "llp", "gmbh", "ag", "sa",
    "nv", "palace", "homes", "management", "ombudsman", "metro", "transit", "railway", "aerospace",
    "aviation", "automotive", "dynamics", "robotics", "biotech", "therapeutics", "biosciences",
    "semiconductor", "semiconductors", "electronics", "networks", "media", "entertainment",
    "studios", "construction", "engineering", "properties", "hotels", "rugby", "athletics",
    "division", "directorate-general", "mint", "frontières", "frontieres", "community", "lottery",
    # parties named by their members ("the Social Democrats said")
    "democrats", "republicans", "socialists", "liberals", "conservatives", "greens", "nationalists",
    "communists",
    # the same words in the languages wire copy most often leaves untranslated
    "comité", "comite", "consejo", "conseil", "ministerio", "ministère", "ministero", "ministerium",
    "instituto", "institut", "istituto", "universidad", "université", "università", "universität",
    "banco", "banque", "banca", "compagnie", "sociedad", "société", "società", "gruppo", "groupe",
    "grupo", "partido", "parti", "partito", "federación", "fédération", "federazione",
    "asociación", "associazione", "agencia", "agence", "agenzia", "fundación", "fondation",
    "fondazione", "stiftung", "stichting", "corte", "cour", "policía", "polizei", "polizia",
    "gendarmerie", "sindicato", "syndicat", "sindacato", "cámara", "chambre", "verband", "amt",
    "bundesamt", "ministerie", "gemeente", "kommission", "commissione", "comisión", "autorité",
    "autoridad", "autorità", "tribunale", "consiglio", "sénat", "senado", "assemblée", "asamblea",
    "unione", "unión", "união", "organización", "organizzazione", "instituut",
}  # fmt: skip
_LAST_ONLY = frozenset({
    "standard", "mail", "star", "sun", "record", "register", "globe", "mirror", "express", "advertiser",
})
"""Paper's words that make a paper's name only at its end ("Evening Standard", "Daily Mail"): before
another word they are a company's ("Standard Chartered", "Star Entertainment")."""
_TRADE_SUFFIXES = (
    "bank", "tech", "soft", "pharma", "grid", "corp", "works", "management", "shipping", "logistics",
)
"""Endings of one-word company names ("Nordbank", "Northern Powergrid"); a name with no other word
to go by that has such a word is a company's, not a person's. Not "air", "net" or "com": surnames
end so too ("Sinclair", "Hugonnet")."""
_FOREIGN_ARTICLES = frozenset({"el", "la", "le", "les", "il", "die", "der", "los", "las"})
"""A run of names opened by a foreign article ("El Mercurio", "Die Zeit") is a paper's title: a
person's name puts a given name first ("Marine Le Pen")."""
SURVEY_AGENCIES = {"geological survey", "ordnance survey"}
"""Survey is a document's word ("the Labour Force Survey") except in these agencies' names."""
DOCUMENT_WORDS = {
    "report", "study", "survey", "memo", "memorandum", "paper", "act", "treaty", "agreement",
    "declaration", "bill", "constitution", "census", "index", "statement", "letter", "dossier",
    "outlook", "yearbook", "assessment", "audit", "protocol", "accord", "accords", "directive",
    "roadmap", "manifesto", "database", "dataset",
}  # fmt: skip
CONNECTORS = {"of", "and", "&", "for", "the", "on", "at", "in"}
_TITLE_OF_DOCUMENT = re.compile(
    r"\b(?:Report|Review|Survey|Study|Index|Outlook|Assessment|Census|Audit|Declaration|Treaty)\s+(?:of|on)\s"
)
"""Words a person's name does not hold (particles such as "de" and "van" it may)."""
_ACRONYM_RE = re.compile(r"^[A-Z][A-Z.&]{1,7}$")
_HEADED_BODY = re.compile(
    r"^(?:The\s+)?(?:Institute|Council|Centre|Center|Association|Society|Foundation|Commission|Committee"
    r"|Federation|Union|Agency|Office|Ministry|Department|Board|Bureau|Academy|College|University)"
    r"\s+(?:of|for|on)\s"
)
"""A body's head noun before "of"/"for"/"on" opens a body's name, whatever word ends it ("Institute for
Clinical and Economic Review", "Council on Foreign Relations"); a paper puts its own word first
("Journal of Commerce")."""


def _words(name: str) -> list[str]:
    """The name's words for the lists, hyphenated parts too ("KOAT-TV" holds "tv")."""
    words = [w.strip(".,'’").lower().removesuffix("'s").removesuffix("’s") for w in name.split()]
    return words + [part for w in words if "-" in w for part in w.split("-") if part]


@functools.lru_cache(maxsize=16384)
def classify(name: str) -> str:
    """The ``kind`` of a reference whose name is not a known publication."""
    words = _words(name)
    if " ".join(name.lower().split()[-2:]) in SURVEY_AGENCIES:
        return "organisation"
    if words and name.split()[-1].lower() in DOCUMENT_WORDS:
        return "document"
    parts = name.split()
    if _TITLE_OF_DOCUMENT.search(name) and "geological" not in words and "ordnance" not in words:
        return "document"  # "Statistical Review of World Energy", "Survey of Consumer Finances"
    if _HEADED_BODY.match(name):
        return "organisation"  # "Institute for Clinical and Economic Review": a body, whatever it ends in
    if len(parts) == 2 and parts[-1] == "Post" and parts[0].lower() in COUNTRIES:
        return "organisation"  # "Canada Post", "Australia Post": a country's postal service, no paper
    if len(parts) > 1 and parts[-1].split("-")[-1].strip(".,'’").lower() in PUBLICATION_WORDS:
        return "publication"  # "San Diego Union-Tribune", "Chicago Sun-Times": a paper's last word
    if any(w in _BROADCASTING for w in words) and not any(w in _BODY_OF_BROADCASTERS for w in words):
        return "publication"  # "Australian Broadcasting Corporation": a corporation that broadcasts
    if any(w in ORGANISATION_WORDS for w in words):
        return "organisation"
    if any(w in PUBLICATION_WORDS and (w not in _LAST_ONLY or w == words[len(parts) - 1]) for w in words):
        return "publication"
    if any(w in _PLACE_BODY_WORDS for w in words):
        return "organisation"  # "Maui County said", "Statistics Canada data showed"
    if _ACRONYM_RE.match(name):
        return "organisation"
    parts = name.split()
    if len(parts) > 1 and parts[0].lower() in _FOREIGN_ARTICLES:
        return "publication"
    core = [p for p in parts if p.lower() not in _NAME_PARTICLES]
    if 2 <= len(core) <= 4 and len(parts) <= 6 and not any(w in CONNECTORS for w in words) and (
        _could_be_person(core)
    ):
        return "person"
    return "organisation"


@functools.lru_cache(maxsize=16384)
def said_by_words(name: str) -> bool:
    """Whether the name's own words give its kind (a body's, a paper's or a document's word), not
    only its shape: "Mundo Deportivo" says nothing, "Deutsche Bank" says bank."""
    words = _words(name)
    return (" ".join(name.lower().split()[-2:]) in SURVEY_AGENCIES
            or (bool(words) and name.split()[-1].lower() in DOCUMENT_WORDS)
            or any(w in ORGANISATION_WORDS or w in PUBLICATION_WORDS for w in words))


_BROADCASTING = frozenset({"broadcasting", "broadcaster", "newspaper", "newspapers"})
_BODY_OF_BROADCASTERS = frozenset({
    "association", "union", "federation", "commission", "authority", "council", "ministry",
    "regulator", "standards", "office", "department",
})  # fmt: skip
COUNTRIES = frozenset({
    "afghanistan", "albania", "algeria", "angola", "argentina", "armenia", "australia", "austria",
    "azerbaijan", "bangladesh", "belarus", "belgium", "bolivia", "bosnia", "brazil", "bulgaria",
    "cambodia", "cameroon", "canada", "chile", "china", "colombia", "congo", "croatia", "cuba",
    "cyprus", "czechia", "denmark", "ecuador", "egypt", "estonia", "ethiopia", "finland", "france",
    "germany", "ghana", "greece", "guatemala", "haiti", "honduras", "hungary", "iceland", "india",
    "indonesia", "iran", "iraq", "ireland", "italy", "japan", "kazakhstan", "kenya", "kosovo",
    "kuwait", "laos", "latvia", "lebanon", "libya", "lithuania", "malaysia", "mali", "mexico",
    "moldova", "mongolia", "morocco", "mozambique", "myanmar", "nepal", "netherlands", "nicaragua",
    "niger", "nigeria", "norway", "oman", "pakistan", "panama", "paraguay", "peru", "philippines",
    "poland", "portugal", "qatar", "romania", "russia", "rwanda", "senegal", "serbia", "singapore",
    "slovakia", "slovenia", "somalia", "spain", "sudan", "sweden", "switzerland", "syria", "taiwan",
    "tanzania", "thailand", "tunisia", "turkey", "uganda", "ukraine", "uruguay", "uzbekistan",
    "venezuela", "vietnam", "yemen", "zambia", "zimbabwe", "britain", "england", "scotland", "wales",
})  # fmt: skip
"""Countries (not those that are also given names or surnames: Jordan, Chad, Georgia, Israel): a
name with one of them in it is a body's ("AirNav Indonesia"), never a person's."""
CAPITALS = frozenset({
    "moscow", "beijing", "washington", "kyiv", "kiev", "brussels", "tehran", "ankara", "damascus",
    "baghdad", "cairo", "riyadh", "jerusalem", "islamabad", "kabul", "beirut", "amman", "doha",
    "taipei", "pyongyang", "seoul", "tokyo", "minsk", "caracas", "havana", "khartoum", "tripoli",
    "pristina", "belgrade", "tbilisi", "yerevan", "baku", "westminster", "whitehall",
})  # fmt: skip
"""Capitals that stand for governments ("Kyiv said", "Moscow rejected"): a place, not a source."""
_PLACE_BODY_WORDS = frozenset({
    "county", "municipality", "province", "prefecture", "district", "region", "borough", "canton",
    "statistics", "lottery",
})  # fmt: skip
"""Words that make a name a public body's unless a paper's word says otherwise ("Orange County
Register"): checked after the publication words."""
_NEVER_IN_NAMES = frozenset({
    "national", "international", "united", "federal", "central", "southern", "northern", "eastern",
    "western", "global", "european", "metropolitan", "regional", "municipal", "without", "against",
    "beyond", "across", "under", "over", "through", "between", "public", "private",
})  # fmt: skip
"""Words that are in no person's name, wherever they stand ("Norfolk Southern")."""
_NAME_PARTICLES = frozenset({
    "bin", "ibn", "al", "el", "bint", "abu", "de", "da", "van", "von", "der", "del", "ab", "ap",
})  # fmt: skip
"""Particles inside a person's name, not counted among its words ("Mohammed bin Abdulrahman Al Thani")."""
_NEVER_GIVEN_NAMES = frozenset({
    "world", "national", "international", "european", "global", "united", "royal", "federal",
    "central", "american", "british", "african", "asian", "arab", "islamic", "catholic",
    "democratic", "republican", "socialist", "liberal", "conservative", "green", "people's",
    "popular", "public", "independent", "northern", "southern", "eastern", "western", "north",
    "south", "east", "west", "greater", "metropolitan", "regional", "municipal", "city", "state",
    "lower", "upper",
    # peoples' adjectives that open a body's name ("Swiss Re", "Dutch Safety Board"), never a person's
    "swiss", "dutch", "french", "german", "italian", "spanish", "chinese", "japanese", "korean",
    "russian", "turkish", "polish", "greek", "irish", "scottish", "welsh", "english", "canadian",
    "australian", "mexican", "brazilian", "indian", "israeli", "saudi", "iranian", "egyptian",
    "nordic", "baltic", "pacific", "atlantic", "danish", "swedish", "norwegian", "finnish",
})  # fmt: skip
"""Words a body's name opens with ("World Rugby", "National Grid", "United Utilities") and no one
is given at birth."""


_NEVER_SURNAMES = frozenset({
    "city", "town", "county", "rovers", "wanderers", "athletic", "albion", "hotspur", "fc", "airport",
    "harbour", "harbor", "airlines", "airways", "stadium",
    # a company's plural ending ("Meta Platforms", "Avidity Biosciences"), no one's surname
    "platforms", "systems", "holdings", "industries", "technologies", "networks", "brands", "foods",
    "motors", "pharmaceuticals", "therapeutics", "biosciences", "labs", "enterprises", "solutions",
    "ventures", "logistics", "semiconductors", "materials", "minerals", "metals", "chemicals",
})  # fmt: skip
"""Words that end a club's or a place's name ("Manchester City", "Brussels Airport") and no person's."""


_REGNAL = re.compile(r"^(?:I{1,3}|IV|VI{0,3}|IX|XI{0,3}|XIV|XV|XVI)$")


def _could_be_person(parts: list[str]) -> bool:
    """No word of the name is an acronym ("Cancer Research UK", "Morningstar DBRS"), none ends like
    a company's ("Nordbank", "Powergrid") and it does not open with a body's word ("World Rugby"):
    people's names have none of these."""
    if parts[0].lower() in _NEVER_GIVEN_NAMES or parts[-1].lower() in _NEVER_SURNAMES:
        return False
    if any(p.lower() in COUNTRIES or p.lower() in _NEVER_IN_NAMES for p in parts):
        return False
    for position, word in enumerate(parts):
        bare = word.strip(".,'’")
        if position and position == len(parts) - 1 and _REGNAL.match(bare):
            continue  # "Mohammed VI", "Charles III": a regnal number ends a person's name
        if len(bare) >= 2 and bare.isalpha() and bare.isupper():
            return False
        lower = bare.lower()
        if any(lower.endswith(end) and len(lower) > len(end) + 2 for end in _TRADE_SUFFIXES):
            return False
    return True
