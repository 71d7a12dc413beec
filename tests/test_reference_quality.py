"""Issue 12: references worth an archivist's time: the known faults, and the labelled set's figures.

The labelled texts are in tests/fixtures/references/ (README.md there says what counts as a
reference); bench/bench_reference_quality.py prints the same figures per kind, and the speed.
"""

from __future__ import annotations

import pytest
from reference_eval import GOAL_PRECISION, GOAL_RECALL, load_cases, score

from archive.references import detect_references

HELD_OUT_FLOOR_PRECISION = 0.90
HELD_OUT_FLOOR_RECALL = 0.82
HELD_OUT_2_FLOOR_PRECISION = 0.90
HELD_OUT_2_FLOOR_RECALL = 0.85
LATER_HELD_OUT_FLOORS = {"heldout3": (0.91, 0.87), "heldout4": (0.92, 0.86), "heldout5": (0.92, 0.89),
                         "heldout6": (0.92, 0.88)}
"""The later blind batches' floors, a little below what the rules give them on 2026-11-30 (0.936/0.898,
0.950/0.884, 0.948/0.919, 0.941/0.903): only a change that makes them worse trips these."""


def _found(text: str) -> set[tuple[str, str]]:
    return {(r["name"], r["kind"]) for r in detect_references(text)}


@pytest.mark.parametrize("text", [
    "The bank raised its key rate on Wednesday, according to Reuters. The decision surprised traders.",
    "There were no immediate reports of damage, said Reuters. The quake was centred offshore.",
    "Reuters reported the fall. The Ministry said nothing more.",
])  # fmt: skip
def test_a_sentence_boundary_ends_a_name_and_reuters_is_a_publication(text):
    found = _found(text)
    assert ("Reuters", "publication") in found
    assert not any(name.startswith("Reuters.") or "The" in name.split()[1:] for name, _ in found)


def test_a_news_agency_is_a_publication_wherever_it_stands():
    found = _found("AFP reported the arrests. Police told Bloomberg News that two men were held.")
    assert found == {("Agence France-Presse", "publication"), ("Bloomberg", "publication")}


def test_analysts_polled_by_the_financial_times():
    found = _found("Analysts polled by the Financial Times expect the central bank to cut rates.")
    assert found == {("Financial Times", "publication")}


@pytest.mark.parametrize(("text", "name"), [
    ("Governor Ana Ruiz said the state would appeal.", "Ana Ruiz"),
    ("Prime Minister Daniel Okoro told reporters he was confident.", "Daniel Okoro"),
    ("Sen. Rosa Delgado said the bill was dead.", "Rosa Delgado"),
    ("Brig. Gen. Rafiqul Hasan said rescuers were searching.", "Rafiqul Hasan"),
    ("According to Italian Health Minister Paolo Ferri, limits will be extended.", "Paolo Ferri"),
    ("Secretary of State Mark Delaney said the talks were at a critical stage.", "Mark Delaney"),
])  # fmt: skip
def test_a_title_is_not_part_of_the_persons_name(text, name):
    assert _found(text) == {(name, "person")}


def test_a_surname_alone_is_the_person_named_in_full_earlier():
    text = 'Governor Ana Ruiz signed the bill. "It is a good day," Ruiz said. Ruiz added nothing.'
    refs = detect_references(text)
    assert [(r["name"], r["kind"], r["mentions"]) for r in refs] == [("Ana Ruiz", "person", 2)]


def test_ordinary_capitalised_words_are_not_sources():
    text = ("Monday brought snow. March was wet, the Met Office said. Visitors told Swiss broadcaster "
            "SRF they were stranded. Environment Secretary Clare Hewitt told Parliament the plan.")
    expected = {("Met Office", "organisation"), ("SRF", "publication"), ("Clare Hewitt", "person")}
    assert _found(text) == expected


@pytest.mark.parametrize("split", ["dev", None])
def test_the_labelled_set_meets_the_goals(split):
    """The quality gate: micro precision and recall over the labelled texts (name and kind right),
    over the whole set and over the dev texts detection was tuned on. Only the dev texts' mistakes
    are printed (and the figures are taken out of the result first, so that pytest's report of a
    failed assertion cannot show the held-out ones either)."""
    result = score(load_cases(split), detect_references)
    precision, recall = result.precision(), result.recall()
    mistakes = "\n".join(" ".join(m) for m in result.mistakes if m[0].startswith("dev-"))
    assert precision >= GOAL_PRECISION, mistakes
    assert recall >= GOAL_RECALL, mistakes


@pytest.mark.parametrize(("split", "floor_precision", "floor_recall"), [
    ("heldout", HELD_OUT_FLOOR_PRECISION, HELD_OUT_FLOOR_RECALL),
    ("heldout2", HELD_OUT_2_FLOOR_PRECISION, HELD_OUT_2_FLOOR_RECALL),
    *((split, *floors) for split, floors in LATER_HELD_OUT_FLOORS.items()),
])  # fmt: skip
def test_the_held_out_texts_do_not_fall_back(split, floor_precision, floor_recall):
    """The held-out texts were never tuned on, so they are the honest figure (the first ten: 0.93
    precision, 0.82 recall before 2026-11-30, 0.933 and 0.857 after; the second batch of
    twenty-five: 0.871 and 0.812 before, 0.929 and 0.880 after). The floors, a little below those,
    only catch a change that makes them worse; their mistakes are not printed, so that no one tunes
    on them."""
    result = score(load_cases(split), detect_references)
    precision, recall = result.precision(), result.recall()
    assert precision >= floor_precision, f"{precision:.3f}"
    assert recall >= floor_recall, f"{recall:.3f}"


@pytest.mark.parametrize(("text", "expected"), [
    ("Witnesses told Reuters and the BBC that shots were fired.",
     {("Reuters", "publication"), ("BBC", "publication")}),
    ("The Associated Press, Agence France-Presse and The Globe and Mail all reported the fire.",
     {("Associated Press", "publication"), ("Agence France-Presse", "publication"),
      ("The Globe and Mail", "publication")}),
    ("Reuters' tally of official data shows 2,300 deaths.", {("Reuters", "publication")}),
    ("Speaking to CNN's State of the Union, the minister said no.", {("CNN", "publication")}),
    ("Russia's Defence Ministry said its forces had advanced.",
     {("Russia's Defence Ministry", "organisation")}),
    ("Germany's Bundesbank warned that wages were rising.", {("Bundesbank", "organisation")}),
    ("Visitors told the Qatari newspaper Al Sharq that they were stranded.", {("Al Sharq", "publication")}),
    ("TASS, citing a Kremlin spokesman, said Moscow was studying the measures.",
     {("TASS", "publication")}),
    ("A YouGov survey for The Times found 58 percent opposed it.",
     {("YouGov", "organisation"), ("The Times", "publication")}),
])  # fmt: skip
def test_lists_possessives_and_media_words(text, expected):
    assert _found(text) == expected


def test_a_short_form_is_the_paper_named_in_full():
    text = "The New York Times reported the deal. The Times said in April that talks had stalled."
    refs = detect_references(text)
    assert [(r["name"], r["mentions"]) for r in refs] == [("The New York Times", 2)]


@pytest.mark.parametrize(("text", "expected"), [
    # declined to comment, whoever asked it
    ("A spokesperson for Northbridge Capital, the lender's owner, declined to comment.", set()),
    # a medium's noun opening the sentence is not the paper's name
    ("Newspaper La Gaceta reported that the mayor had resigned.", {("La Gaceta", "publication")}),
    # a full name followed by its initials is the full name
    ("The National Farmers Union NFU said prices were too low.",
     {("National Farmers Union", "organisation")}),
    # "quoted X as saying": both the medium and the speaker
    ("State news agency Xinhua quoted Trade Minister Li Wen as saying talks would resume.",
     {("Xinhua", "publication"), ("Li Wen", "person")}),
    # a body's analysts speak for the body
    ("Barclays analysts said in a note that the pound would weaken.", {("Barclays", "organisation")}),
    # a short form defined in brackets is the body named in full
    ("The Norwegian Meteorological Institute (MET) said the storm would pass. MET data showed gusts.",
     {("Norwegian Meteorological Institute", "organisation")}),
    # after a place, the name in apposition is the speaker
    ("Its ambassador to the United Nations, Pedro Alves, said the vote was unfair.",
     {("Pedro Alves", "person")}),
    # a document's title in apposition
    ("The report, titled Rivers in Crisis, found that pollution had doubled.",
     {("Rivers in Crisis", "document")}),
    # a capital standing for its government is a place
    ("Kyiv said the strikes had hit two power plants.", set()),
    # a body that cuts its forecast is a source
    ("Lindqvist Shipping cut its forecast for the year.", {("Lindqvist Shipping", "organisation")}),
    # two capitalised words with nothing to say they are a person's name a body; a quotation does
    ("Hollis Brand said profits fell.", {("Hollis Brand", "organisation")}),
    ('"We are pleased," Hollis Brand said.', {("Hollis Brand", "person")}),
    ("Passenger Hollis Brand told the Courier-Post that the bus had braked hard.",
     {("Hollis Brand", "person"), ("Courier-Post", "publication")}),
    # two bodies joined by "and" when the words after say they are two
    ("Marlow Foods and Kestrel Dairies both said demand had slowed.",
     {("Marlow Foods", "organisation"), ("Kestrel Dairies", "organisation")}),
    ("Norland and Tarrow Steel said they would cut jobs.",
     {("Norland", "organisation"), ("Tarrow Steel", "organisation")}),
    # a ministry named by its portfolios, commas inside its name
    ("The Ministry of Fisheries, Oceans and Coastal Affairs said stocks had recovered.",
     {("Ministry of Fisheries, Oceans and Coastal Affairs", "organisation")}),
    ("Exports fell, Yonhap reported, citing the Ministry of Land, Transport and Tourism.",
     {("Yonhap", "publication"), ("Ministry of Land, Transport and Tourism", "organisation")}),
    # a paper's word before another word is a company's
    ("Standard Kestrel said output would double.", {("Standard Kestrel", "organisation")}),
    # a short form never defined is the body named in full with its initials
    ("The Maritime Safety Board, the port's watchdog, fined the operator. The MSB said it would appeal.",
     {("Maritime Safety Board", "organisation")}),
    # "the company said" stands for a company even when its name ends like a paper's
    ("Northern Mail will cut 300 jobs, the company said.", {("Northern Mail", "organisation")}),
    # a hyphenated title is a title
    ("Vice-Chair Oona Brandt said the bill would pass.", {("Oona Brandt", "person")}),
    # an ordinary word opening a sentence before "groups" names no body
    ("LIMA — Farm groups warned that the drought would cut output.", set()),
    # a body's kind in more than one word between the phrase and the name
    ("Prices rose, according to data from freight analytics firm Xeneta.", {("Xeneta", "organisation")}),
    ("The study, by researchers at the University of Tartu and published in Nature, found mould.",
     {("University of Tartu", "organisation"), ("Nature", "publication")}),
    # a company named for its trade, not a person
    ("Its manager, Hallberg Shipmanagement, said no one was hurt.",
     {("Hallberg Shipmanagement", "organisation")}),
    # an aside or a body's description set off by commas introduces no person
    ("Penny Market, by contrast, said shoppers were cutting back.", {("Penny Market", "organisation")}),
    ("Orvel Lumiere, the Belgian industrial gases group, said sales rose.",
     {("Orvel Lumiere", "organisation")}),
    # a short form opening a name makes it stand alone in a pair
    ("Halden Electronics and KT Norrsken said demand was strong.",
     {("Halden Electronics", "organisation"), ("KT Norrsken", "organisation")}),
    # an embassy named with its place
    ("The Peruvian Embassy in Oslo said the visas had been issued.",
     {("Peruvian Embassy in Oslo", "organisation")}),
    # a stance: "called on"
    ("The Nordic Timber Federation called on ministers to act.",
     {("Nordic Timber Federation", "organisation")}),
    # a title's "Review of" makes a document, whatever words follow
    ("The Halvard Trust said in its Annual Review of Coastal Energy that demand rose.",
     {("Halvard Trust", "organisation"), ("Annual Review of Coastal Energy", "document")}),
    # a plain noun opening a sentence is not what "the company said" stands for
    ("Orrin Fabrics cut prices. Sales fell 5% in the year, the company said.", set()),
    # a preposition inside a name makes it a body's
    ("Poverty rose, Doctors Without Walls said.", {("Doctors Without Walls", "organisation")}),
    # "published on Tuesday by"
    ("The ranking was published on Tuesday by the Centre for Water and Soil.",
     {("Centre for Water and Soil", "organisation")}),
    # a body named in lower case after its country's possessive, or after "its" when the sentence
    # opens with the country; never a country that is not the sentence's subject
    ("Peru's fisheries ministry said the catch fell.", {("Peru's fisheries ministry", "organisation")}),
    ("OSLO - Norway has confirmed two cases, its health ministry said on Friday.",
     {("Norway's health ministry", "organisation")}),
    ("Gangs stormed Peru's main prison, the government said.", set()),
    # "a poll by X for Y": the pollster and its client
    ("A poll by Kantara for the Morning Ledger found 54% backed the strike.",
     {("Kantara", "organisation"), ("Morning Ledger", "publication")}),
    # a plural body's noun after "A and B" makes them two
    ("The CFTU and SUD-Ports unions said they would strike.",
     {("CFTU", "organisation"), ("SUD-Ports", "organisation")}),
    # a country of two words is a place, not a source
    ("Saudi Arabia and Russia said they would extend the cuts.", set()),
    # a German paper's word makes a publication
    ("The port needs investment, according to the Bremer Abendblatt.",
     {("Bremer Abendblatt", "publication")}),
    # a sub-body named in full after its owning body's possessive
    ("The Finance Ministry's Bureau of Trade and Industry said it would inspect the site.",
     {("Bureau of Trade and Industry", "organisation")}),
    # "the two companies said": the two bodies named as "A and B" earlier in the sentence
    ("Brewers Halvik and Orremont will merge, the two companies said in a joint statement.",
     {("Halvik", "organisation"), ("Orremont", "organisation")}),
    # two one-word names joined by "and" are two when either stands alone nearby
    ("Treewatch and Seacare said on Monday that fishing fell. Seacare added that stocks were low.",
     {("Treewatch", "organisation"), ("Seacare", "organisation")}),
    ("Gorman and Hale said on Monday that sales rose.", {("Gorman and Hale", "organisation")}),
    # a sentence opening "The airline said" speaks for the one-word subject of the sentence before
    ("Skyvale expects fares to fall this winter. The airline said demand was firm.",
     {("Skyvale", "organisation")}),
    # "lead" is a role before a speaker's name
    ("Prices rose, said Seacare's ocean policy lead Mara Lindqvist.",
     {("Mara Lindqvist", "person")}),
    # an instrument or craft is no source: the people using it are ("the Kepler Deep Telescope found")
    ("Astronomers using the Selva Deep Telescope found water, the Andes Space Agency said.",
     {("Andes Space Agency", "organisation")}),
    # a body's head noun before "for"/"of" makes a body even when its last word is a paper's
    ("The Institute for Housing and Planning Review said rents rose.",
     {("Institute for Housing and Planning Review", "organisation")}),
    # "rival" and "opponent" are roles before a person's name
    ("Turnout was high. His rival Dewi Kartosen said he would appeal.", {("Dewi Kartosen", "person")}),
    # "X organisers said" names X, as "X analysts said" does
    ("The race will go ahead, Lisbon 2031 organisers said.", {("Lisbon 2031", "organisation")}),
    # a capitalised word after a lower-case foreign preposition ends a longer name; it is no subject
    ("The Regie des eaux de Namur said the pipes would be fixed.", set()),
    # a body in lower case after its country's adjective is the country's ("Egypt's supply ministry")
    ("Reserves will last five months, the Tunisian supply ministry said.",
     {("Tunisia's supply ministry", "organisation")}),
    # "Co-owner" is a title, hyphenated like "Vice-President"
    ("Co-owner Ilse Marchetti said the club would stay.", {("Ilse Marchetti", "person")}),
    # a dateline before a spaced hyphen is a place, not what "the company said" stands for
    ("GALVESTON - A fire broke out at a plant on Friday, sending smoke over the city, the company said.",
     set()),
    # dev batches 561 to 685 (2026-11-30, seventh session)
    # a minister's portfolio read word by word: the name is all that follows it
    ("Deputy Minister of Industry and Trade Nguyen Van Hoa said the quota would stay.",
     {("Nguyen Van Hoa", "person")}),
    # "quoted a survivor, NAME, as saying"
    ("The Kestrel news agency quoted a survivor, Ana Veltri, as saying the boat sank fast.",
     {("Ana Veltri", "person"), ("Kestrel", "publication")}),
    # "the Danish drugmaker said": an owner's possessive opening the sentence
    ("Halvik Pharma's new drug cut weight by 20% in a trial, the Danish drugmaker said.",
     {("Halvik Pharma", "organisation")}),
    # "the software maker said"
    ("Orvane will cut 3,000 jobs, the software maker said.", {("Orvane", "organisation")}),
    # "X, which said" is a body that speaks, even after "to"
    ("The plant belongs to Orrin Metals, which said the leak was stopped.",
     {("Orrin Metals", "organisation")}),
    # "the airport said" stands for the name before it that ends with the noun
    ("All flights from Veltra Airport were cancelled on Monday, the airport said.",
     {("Veltra Airport", "organisation")}),
    # a short form joined by "&" is the name with those initials
    ("Halvik & Halvik agreed to pay $70 million. H&H said in a statement that it had stopped.",
     {("Halvik & Halvik", "organisation")}),
    # a lower-case regulator after its country's possessive that goes on to ", saying"
    ("SANTIAGO - Chile's environmental regulator rejected the project, saying it would harm a habitat.",
     {("Chile's environmental regulator", "organisation")}),
    # a one-word name in 's directly before its verb keeps its 's
    ("Marlow's said its autumn sales rose.", {("Marlow's", "organisation")}),
    # a possessive before "of" is the name's
    ("Insurer Harwick's of London said premiums fell.", {("Harwick's of London", "organisation")}),
    # "told reporters": a person speaks to the press
    ("Dario Velto told reporters that players had lost faith.", {("Dario Velto", "person")}),
    # a country's postal service is no paper
    ("Iceland Post said parcels would be late.", {("Iceland Post", "organisation")}),
    # "the clubs said" stands for "A and B" earlier in its sentence
    ("Ostrava Rovers and Brno Athletic agreed to share a stadium, the clubs said in a joint statement.",
     {("Brno Athletic", "organisation"), ("Ostrava Rovers", "organisation")}),
    # a known paper before "in Place" speaks
    ("The Sunday Times in Colombo reported that estates had cut bonuses.",
     {("The Sunday Times", "publication")}),
    # a city's prosecutor's office
    ("Six people were charged over the fraud, the Lille prosecutor's office said.",
     {("Lille prosecutor's office", "organisation")}),
    # a lower-case ministry is the country's whose adjective is the only one in its sentence
    ("Rice prices in Japanese shops rose to a record, the agriculture ministry said.",
     {("Japan's agriculture ministry", "organisation")}),
    # "the government said" is the country's that opens the sentence
    ("Serbia signed a deal for a rail link to the Hungarian border, the government said.",
     {("Serbia's government", "organisation")}),
    # a medium's noun after a name may be followed by its place
    ("The Daily Courant newspaper in Valetta said turnout was high.", {("Daily Courant", "publication")}),
    # "State-owned" only describes the name after it
    ("State-owned Orrin Holdings, which owns the mine, said it backed the plan.",
     {("Orrin Holdings", "organisation")}),
    # a members' body keeps its plural possessive
    ("The Growers' Association of Ruritania said prices fell.",
     {("Growers' Association of Ruritania", "organisation")}),
    # "Residents of X" names no body
    ("Residents of Iztapalapa told Milenio that the taps were dry.", {("Milenio", "publication")}),
])  # fmt: skip
def test_the_error_classes_of_new_text(text, expected):
    """One case per kind of mistake the dev batches 156 to 685 showed (tests/fixtures/references/
    README.md), in sentences of their own: the rules are general, not fitted to those texts."""
    assert _found(text) == expected


def test_an_extra_labels_file_adds_its_split(tmp_path, monkeypatch):
    """A batch labelled in a file of its own (labels-heldout3.toml) is scored as its own split."""
    import reference_eval

    (tmp_path / "labels.toml").write_text('["a.txt"]\nsplit = "dev"\nreferences = []\n', encoding="utf-8")
    (tmp_path / "labels-heldout3.toml").write_text(
        '["b.txt"]\nsplit = "heldout3"\nreferences = [["Reuters", "publication"]]\n', encoding="utf-8"
    )
    (tmp_path / "a.txt").write_text("Nothing here.", encoding="utf-8")
    (tmp_path / "b.txt").write_text("The rate rose, Reuters reported.", encoding="utf-8")
    monkeypatch.setattr(reference_eval, "FIXTURES", tmp_path)
    monkeypatch.setattr(reference_eval, "LABELS", tmp_path / "labels.toml")
    assert reference_eval.splits() == ["dev", "heldout3"]
    cases = reference_eval.load_cases("heldout3")
    assert [(c.file, c.expected) for c in cases] == [("b.txt", frozenset({("reuters", "publication")}))]
    assert score(cases, detect_references).recall() == 1.0


def test_the_dev_split_reads_no_held_out_file(tmp_path, monkeypatch):
    """Tuning reads the dev texts only (bench_reference_quality.py --dev): asking for "dev" opens no
    held-out labels file and no held-out text. Here both would fail to read if opened."""
    import tomllib

    import reference_eval

    (tmp_path / "labels.toml").write_text(
        '["a.txt"]\nsplit = "dev"\nreferences = [["Reuters", "publication"]]\n'
        '["h.txt"]\nsplit = "heldout"\nreferences = []\n', encoding="utf-8"
    )
    (tmp_path / "labels-heldout9.toml").write_text("not toml [", encoding="utf-8")
    (tmp_path / "a.txt").write_text("The rate rose, Reuters reported.", encoding="utf-8")
    monkeypatch.setattr(reference_eval, "FIXTURES", tmp_path)
    monkeypatch.setattr(reference_eval, "LABELS", tmp_path / "labels.toml")
    cases = reference_eval.load_cases("dev")
    assert [c.file for c in cases] == ["a.txt"]
    with pytest.raises(tomllib.TOMLDecodeError):  # the whole set does read them
        reference_eval.load_cases()


@pytest.mark.parametrize(("text", "expected"), [
    # a short form of two words in brackets ends the body's name
    ("Roads were closed, the Ruritania Department of Roads and Bridges (Ru Roads) said on Monday.",
     {("Ruritania Department of Roads and Bridges", "organisation")}),
    # "agency" between "according to" and a name says it is a body's
    ("Loans rose 4%, according to mortgage finance agency Kestrel Mae.", {("Kestrel Mae", "organisation")}),
    # a Romance article before a known title is left out
    ("The minister told Il Corriere della Sera that talks had failed.",
     {("Corriere della Sera", "publication")}),
    # a capitalised particle after a title opens a person's name
    ("Trade Minister Le Van Thanh told reporters exports rose.", {("Le Van Thanh", "person")}),
    # a "-based" description makes a body, unless its head is a person's role
    ("Halvard Marine, the Oslo-based owner of the tanker, said the crew was safe.",
     {("Halvard Marine", "organisation")}),
    ("Maren Holt, an Oslo-based analyst, said rates would fall.", {("Maren Holt", "person")}),
    # a role a medium owns makes a person, not a paper
    ("Tomas Brenner, the magazine's chief data officer, said the list had grown.",
     {("Tomas Brenner", "person")}),
    # a plural kind before "A and B" makes two
    ("Flights were cancelled, the pilots' unions VCX and Aerunion said.",
     {("VCX", "organisation"), ("Aerunion", "organisation")}),
    # a country's possessive is no part of a name that must stand alone
    ("The engine failed, Ruritania's Marine and Rail Safety Board said.",
     {("Marine and Rail Safety Board", "organisation")}),
    # "the Spanish club said", "a company spokeswoman said": the sentence's subject
    ("Atletico Norte have signed the striker on a free transfer, the Spanish club said.",
     {("Atletico Norte", "organisation")}),
    ("Orrin Energy has shut a unit at its refinery after a fire, a company spokeswoman said.",
     {("Orrin Energy", "organisation")}),
    # a subject that acts "and said" speaks
    ("Ruritania's Kronbank cut its key rate on Thursday and said it could cut again.",
     {("Kronbank", "organisation")}),
    # the owner of a lower-case unit that speaks
    ("The Andean Union's observer mission said the vote was calm.", {("Andean Union", "organisation")}),
    ("Orrin's Nigerian unit said it had repaired the pipeline.", {("Orrin", "organisation")}),
    # "said NAME, AGE, had": the name is what was said
    ("Judge Karl Weiss said Peter K., 40, had scouted the base.", {("Karl Weiss", "person")}),
    # "the N-year-old told" is the person who was the subject just before
    ("Arjun Mehta of India won the title on Sunday.\n\n\"It is my best day,\" the 19-year-old said.",
     {("Arjun Mehta", "person")}),
    # a short form of a name that opens with "U.S." leaves it out
    ("The filing went to the U.S. Federal Rail Safety Board. FRSB said it had four reports.",
     {("U.S. Federal Rail Safety Board", "organisation")}),
    # a surname with a particle is the person named in full before
    ("The court upheld the sentence of former President Ana Ruiz de Castro. "
     "Ruiz de Castro wrote that it was unjust.",
     {("Ana Ruiz de Castro", "person")}),
    # a paper's word at a name's end
    ("The Kestrel Advertiser said growers had pulled out vines.", {("Kestrel Advertiser", "publication")}),
    # a company's plural ending is no one's surname
    ("Orrin Platforms must change its rules, the court ruled. Orrin said it would appeal.",
     {("Orrin Platforms", "organisation")}),
    # a lower-case army after its country's adjective, as an air force; not one that ends an aside
    ("Troops clashed near the border overnight, the Thai army said.", {("Thailand's army", "organisation")}),
    ("The Pentagon, in its report on Russia's military, said Moscow was rearming.",
     {("Pentagon", "organisation")}),
    # the object of a deal is not "the drugmaker" that speaks
    ("Orrin AG agreed to buy U.S. biotech firm Kestrel Labs Inc. for 2 billion, the Swiss drugmaker said.",
     {("Orrin AG", "organisation")}),
    # "added" before an object is no speech
    ("The Guardian reported that Orrin had added a surcharge of 200 dollars.",
     {("The Guardian", "publication")}),
    # a weather service that issued a warning is a source
    ("The Ruritanian weather service RWS issued its highest flood warning for the south.",
     {("RWS", "organisation")}),
    # "said NAME, a description, had": the name is what was said
    ("The Herald said Orrin, the largest producer, had culled fish.", {("The Herald", "publication")}),
    # "the satellite internet company told" stands for the sentence's subject
    ("Skylinkr has cut its price by a third, the satellite internet company told customers.",
     {("Skylinkr", "organisation")}),
    # "District Collector" is a title
    ("District Collector Anita Rao told reporters 200 people were in hospital.", {("Anita Rao", "person")}),
    # an inspectorate is a body, not what its owner owns
    ("Losses rose, according to figures published by the Ruritanian Government's Fish Inspectorate.",
     {("Fish Inspectorate", "organisation")}),
    # a short form in another language after a body's head noun
    ("More cars were sold, the Federal Motor Transport Authority KBA said.",
     {("Federal Motor Transport Authority", "organisation")}),
    # an initial's full stop inside an appositive
    ("Orrin Foods, the largest U.S. egg producer, said sales doubled.", {("Orrin Foods", "organisation")}),
    # a "regional" or "local" government is not the country's
    ("A bus crashed in Peru's Ayacucho region, police and the regional government said.", set()),
    # "the Premier League club said", "the Anglo-Australian miner said": the sentence's subject
    ("Orrin City have signed the striker for a record fee, the Premier League club said.",
     {("Orrin City", "organisation")}),
    ("Kestrel Tinto will invest 2 billion dollars in Salta, the Anglo-Australian miner said.",
     {("Kestrel Tinto", "organisation")}),
    # "defended" is a stance
    ("Regional leader Carlos Mendez defended the timing of the alert.", {("Carlos Mendez", "person")}),
    # after a title, a surname that is also a country's name
    ("Jasper Mayor Richard Ireland told the Jasper Courier that homes burned.",
     {("Richard Ireland", "person"), ("Jasper Courier", "publication")}),
])  # fmt: skip
def test_the_error_classes_of_batches_826_to_905(text, expected):
    """One case per kind of mistake the dev batches 826 to 905 showed (tests/fixtures/references/
    README.md), in invented sentences of their own: the rules are general, not fitted to those texts."""
    assert _found(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    # a name shaped like a person's after a club's or a company's possessive is one of its people
    ("Rovers won 2-0. Harbour's Tomasz Wren said his side had been lucky.", {("Tomasz Wren", "person")}),
    ("Veltro's Ines Marchetti said the new engine worked.", {("Ines Marchetti", "person")}),
    # "Skipper" is a title, as "Captain" is
    ("Skipper Rangi Tuhoe said the crew had sailed well.", {("Rangi Tuhoe", "person")}),
    # a person named by the first two words of a longer name given before
    ('Planning Minister Dewi Sartika Wulandari spoke on Monday. "It is fair," Dewi Sartika told reporters.',
     {("Dewi Sartika Wulandari", "person")}),
    # a capitalised head noun alone stands for the body named in full before it
    ("The Ruritanian Commission fined the bank. A Commission spokesperson said it would appeal.",
     {("Ruritanian Commission", "organisation")}),
    # countries joined by "and" are places, not one body
    ("Norway, Iceland, Ireland and Portugal on Friday called on the council to act.", set()),
    # a body named by the fields or members it lists, commas inside its name
    ("He told the Energy, Mines and Water Committee that the plant was safe.", set()),
    ("The Ruritania Nurses, Midwives and Paramedics Union said talks had failed.",
     {("Ruritania Nurses, Midwives and Paramedics Union", "organisation")}),
    # ", writing that" after a named subject: the subject wrote it
    ("Mayor Elin Varga toured the flooded streets on Monday, writing that the town would rebuild.",
     {("Elin Varga", "person")}),
    # "expects" is a forecast, as "forecasts" is; "placed ... on alert" a warning, as "issued an alert"
    ("The Ruritanian Grocers Federation expects sales to grow 3%.",
     {("Ruritanian Grocers Federation", "organisation")}),
    ("Meteo-Ruritania placed the coast on red alert for wind.", {("Meteo-Ruritania", "organisation")}),
    # a common word opening a longer name that ends in a party's or a union's noun
    ("The opposition People First Party called the budget reckless.",
     {("People First Party", "organisation")}),
    # "citing officials at X": X is the source
    ("The Courier, citing unnamed officials at the Ruritanian Treasury, said cuts were coming.",
     {("Courier", "publication"), ("Ruritanian Treasury", "organisation")}),
    # a German "und" inside a name
    ("Swiss newspaper Handel und Gewerbe said the deal was done.", {("Handel und Gewerbe", "publication")}),
    # "radio station X" is the station the gazetteer calls "Radio X"
    ("The minister told radio station Mitre that prices would fall.", {("Radio Mitre", "publication")}),
    # a prefecture named by its place, as a prosecutor's office is
    ("The road was closed on Monday, the Vaucluse prefecture said.",
     {("Vaucluse prefecture", "organisation")}),
    # "quoted by the X news agency" is a phrase of its own, not "quoted X as saying"
    ("The army, quoted by the Kestrel news agency, said the town had fallen.",
     {("Kestrel", "publication")}),
    # a name ending in a country's web domain; a property portal is a body, as a property firm is
    ("Property portal Flatfinder.ie reported that rents rose 8%.", {("Flatfinder.ie", "organisation")}),
    # a name and a comma opening the sentence before "B and C" make a list of three, "&" inside a name
    ("Volta Motors, Baird & Baird and Kestrel Foods reported higher sales, the companies said.",
     {("Volta Motors", "organisation"), ("Baird & Baird", "organisation"),
      ("Kestrel Foods", "organisation")}),
    ("In March, Procter and Gamble said sales rose.", {("Procter and Gamble", "organisation")}),
    # a given name spelt like an agency whose name is all capitals makes no edition of it
    ("Kestrel Securities analyst Sana Malik said rates would fall.", {("Sana Malik", "person")}),
    # "the company said" after a country's company: the company, not the country
    ("Norway's Voltiva will halve its wind spending, the state-controlled company said.",
     {("Voltiva", "organisation")}),
    # "raised the alert" is a warning, as "issued an alert" is
    ("The Ruritanian Volcano Office raised the alert to its highest level.",
     {("Ruritanian Volcano Office", "organisation")}),
    # the taz writes its name in lower case
    ("The left-leaning taz said the plan would fail.", {("Die Tageszeitung", "publication")}),
    # "whose" and a person's own (a team, a faction) after a name shaped like a person's
    ("Marta Lind, whose Green faction lost heavily, told reporters the result was a shock.",
     {("Marta Lind", "person")}),
    ("Kestrel Group, whose ferries sail to Crete, said it would appeal.",
     {("Kestrel Group", "organisation")}),
    # ", telling X" is "told X"; a subject that acts "and told reporters" speaks; the unit's owner speaks
    ("Finance Minister Ana Mrak welcomed the cut, telling Radio Kestrel it was good news.",
     {("Ana Mrak", "person"), ("Radio Kestrel", "publication")}),
    ("Norway's Erik Dahl took three wickets and told reporters the pitch was slow.",
     {("Erik Dahl", "person")}),
    ("The Ruritania government closed schools and told people to stay indoors.", set()),
    ("Inflation fell. Voltabank's research unit said rates would fall.", {("Voltabank", "organisation")}),
    # "quoted X as calling for"; a regnal number ends a person's name
    ("The agency quoted King Harald V as calling for calm.", {("Harald V", "person")}),
    # a short form by initials: of a publisher named like its papers, of an owner before its possessive
    ("Kestrel Group Newspapers apologised in court. KGN said in a statement that it was sorry.",
     {("Kestrel Group Newspapers", "organisation")}),
    ("The Ruritanian Space Agency's Kestrel probe flew past Mars on Wednesday, RSA said.",
     {("Ruritanian Space Agency", "organisation")}),
    # a people's adjective opening a sentence is no company for "the company said"
    ("Brazilian customers made up half of sales, the company said.", set()),
    # a body's name before "of" and a country stands for the whole name given before
    ("The case was filed by the Bar Council of Ghana. The Bar Council said the law was void.",
     {("Bar Council of Ghana", "organisation")}),
])  # fmt: skip
def test_the_error_classes_of_batches_966_to_1010(text, expected):
    """One case per kind of mistake the dev batches 966 to 1010 showed (tests/fixtures/references/
    README.md), in invented sentences of their own: the rules are general, not fitted to those texts."""
    assert _found(text) == expected
