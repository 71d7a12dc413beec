// The one door between Python and citeproc-js: a bibliography as plain text.
//
// Loaded after citeproc.js (which sets the global CSL) both by the archive, in an embedded V8
// (mini-racer), and by tests/fixtures/citations/regenerate.py under node, so the golden strings
// and the archive's strings come out of the same calls. Everything crosses as JSON strings.
"use strict";

// Speed without changing a character: citeproc-js sorts with a.localeCompare(b, locale, options),
// which builds a new ICU collator on every comparison, and cases words with
// str.toLocale{Lower,Upper}Case(langs), which resolves the locale list on every word (together
// about a tenth of a big bibliography's time). ECMA-402 defines localeCompare with a locale as
// new Intl.Collator(locale, options).compare(a, b), so a cached collator gives the same answer;
// and locale-sensitive case mapping differs from the plain one only for the languages a probe
// string shows (Turkish, Azeri, Lithuanian, Greek), so every other language takes the plain path.
(function () {
    var plainCompare = String.prototype.localeCompare;
    var collators = {};
    String.prototype.localeCompare = function (that, locales, options) {
        if (locales === undefined && options === undefined) {
            return plainCompare.call(this, that);
        }
        var key = JSON.stringify([locales, options === undefined ? null : options]);
        var collator = collators[key];
        if (collator === undefined) {
            collator = collators[key] = new Intl.Collator(locales, options);
        }
        return collator.compare(String(this), String(that));
    };

    var LOWER_PROBE = "I\u0130\u00cc\u00cd\u0128\u0307\u03a3";
    var UPPER_PROBE = "i\u0131\u03ac\u03ad\u03ae\u0390i\u0307";
    function caser(probe, plain, local) {
        var sensitive = {};  // String(langs) -> whether the langs case differently from plain
        return function (str) {
            var langs = this.tmp.lang_array;
            var key = String(langs);
            var special = sensitive[key];
            if (special === undefined) {
                try {
                    special = local.call(probe, langs) !== plain.call(probe);
                } catch (e) {
                    special = false;
                }
                sensitive[key] = special;
            }
            if (special) {
                try {
                    return local.call(str, langs);
                } catch (e) {
                    return plain.call(str);
                }
            }
            return plain.call(str);
        };
    }
    CSL.toLocaleLowerCase = caser(LOWER_PROBE, String.prototype.toLowerCase, String.prototype.toLocaleLowerCase);
    CSL.toLocaleUpperCase = caser(UPPER_PROBE, String.prototype.toUpperCase, String.prototype.toLocaleUpperCase);
}());

// Building a style, citeproc-js finds each macro it expands with getNodesByName(root, "macro",
// name), a walk over the whole style tree per expansion: for APA, a third of the build. An index of
// the macro nodes by name, made by the same walk and rebuilt if the style's top level changes,
// returns the same nodes in the same order (a fresh array each time, as the walk does).
(function () {
    var walk = CSL.XmlJSON.prototype.getNodesByName;
    CSL.XmlJSON.prototype.getNodesByName = function (myjson, name, nameattrval, ret) {
        if (name !== "macro" || typeof nameattrval !== "string" || ret || !myjson
                || myjson !== this.dataObj || !myjson.children) {
            return walk.call(this, myjson, name, nameattrval, ret);
        }
        var index = this.archiveMacroIndex;
        if (!index || index.root !== myjson || index.count !== myjson.children.length) {
            var byName = Object.create(null);
            var all = walk.call(this, myjson, "macro");
            for (var i = 0; i < all.length; i += 1) {
                var key = all[i].attrs.name;
                if (typeof key === "string") {
                    (byName[key] = byName[key] || []).push(all[i]);
                }
            }
            index = this.archiveMacroIndex = {root: myjson, count: myjson.children.length, byName: byName};
        }
        var found = index.byName[nameattrval];
        return found ? found.slice() : [];
    };
}());

// Marks that a name list reached its et-al threshold (bridge.js each(): see etAlMet there). The
// original runs unchanged, with the same this and arguments; the wrapper only records.
(function () {
    var impose = CSL.NameOutput.prototype._imposeNameConstraints;
    CSL.NameOutput.prototype._imposeNameConstraints = function (lst, count, key, pos) {
        if (count && count[key] >= this.etal_min) {
            CSL.archiveEtAlMet = true;
        }
        return impose.call(this, lst, count, key, pos);
    };
}());

var archiveCite = (function () {
    var locales = {};   // "en-US" -> locale XML, given by the caller as engines ask for them
    var shipped = {};   // tag -> true for every locale the caller can give (knownLocales)
    var missing = [];   // shipped tags an engine asked for before they were given
    var styles = {};    // style key -> style XML
    var engines = {};   // style key + "|" + lang + "|" + force -> {engine, items}

    function addLocale(tag, xml) {
        locales[tag] = xml;
        return true;
    }

    // Parsing and sending all sixty locale files costs a tenth of a second, and an engine reads
    // two or three of them (en-US, its language's, the style's own xml:lang), all while it is
    // built (localeConfigure runs from the constructor and from attributes read at build time). So
    // the caller names the locales it has and gives each when an engine first asks: an engine that
    // asked for a shipped locale not yet given is thrown away unfinished, the call answers
    // {"needLocales": [...]}, and the caller sends them and calls again. A locale that is not
    // shipped gets false, as before.
    function knownLocales(tagsJson) {
        var tags = JSON.parse(tagsJson);
        for (var i = 0; i < tags.length; i += 1) {
            shipped[tags[i]] = true;
        }
        return true;
    }

    function retrieveLocale(tag) {
        if (locales[tag]) {
            return locales[tag];
        }
        if (shipped[tag] === true && missing.indexOf(tag) < 0) {
            missing.push(tag);
        }
        return false;
    }

    // fn()'s answer; the JSON of {"needLocales": tags} instead when building its engine asked for
    // locales not given yet (engineFor then throws before keeping that engine).
    function withLocales(fn) {
        missing = [];
        var out;
        try {
            out = fn();
        } catch (e) {
            if (missing.length === 0) {
                throw e;
            }
        }
        if (missing.length === 0) {
            return out;
        }
        return JSON.stringify({needLocales: missing});
    }

    function addStyle(key, xml) {
        styles[key] = xml;
        for (var name in engines) {
            if (name.indexOf(key + "|") === 0) {
                delete engines[name];
            }
        }
        return true;
    }

    // A style's citation <sort> orders the items inside one in-text citation; citeproc-js reads
    // what it builds (citation_sort) only in processCitationCluster, makeCitationCluster and
    // previewCitationCluster, which this bridge never calls, yet building it expands the sort keys'
    // macros inline: for APA about 40 % of the engine's build. So the engine gets the style
    // without it, parsed here exactly as CSL.setupXml parses a style string (CSL.parseXml after the
    // same trim) and handed over as the parsed object, which setupXml takes as it is. Built with
    // and without it, APA's, harvard's and ieee's engines differ only in citation_sort and in
    // opt.sort_citations, which nothing reads (tests/test_citation_engine_speed.py compares them).
    function styleForEngine(xml) {
        var root = CSL.parseXml(xml.replace("^\uFEFF", "").replace(/^\s+/, ""));
        dropSort(root, "citation");
        return root;
    }

    // The <sort> of the style's top-level element named area ("citation", "bibliography").
    function dropSort(root, area) {
        var children = root.children || [];
        for (var i = 0; i < children.length; i += 1) {
            var node = children[i];
            if (node && node.name === area && node.children) {
                node.children = node.children.filter(function (child) {
                    return !(child && child.name === "sort");
                });
            }
        }
    }

    // An engine for one item at a time (each()) needs neither sort: a bibliography of one item has
    // one order. Nor does it need the citation's layout, which citeproc-js renders for every item
    // it registers only to find cites that read alike (ambiguity, year suffixes), and one item has
    // no other to read like. So that engine gets the style without the bibliography's <sort> and
    // with the citation's <layout> reduced to the title (the <citation> element and its options
    // stay): for APA a build of 40 ms instead of 330 and 1.0 ms an entry instead of 1.7 (node).
    // Its entries are the full engine's, character for character, except where the citation's
    // rendering feeds the bibliography's: names of one family with different given names, and a
    // name list reaching et-al-min; such items go to the full engine (familiesMeet and etAlMet in
    // eachOf, below). tests/test_citation_alone.py compares the two over the golden records in
    // every offered style and locale and over records Hypothesis makes;
    // bench/check_alone_styles.py over every installed style.
    function styleAlone(xml) {
        var root = styleForEngine(xml);
        dropSort(root, "bibliography");
        var children = root.children || [];
        for (var i = 0; i < children.length; i += 1) {
            var node = children[i];
            if (node && node.name === "citation" && node.children) {
                for (var j = 0; j < node.children.length; j += 1) {
                    var layout = node.children[j];
                    if (layout && layout.name === "layout") {
                        layout.children = [{name: "text", attrs: {variable: "title"}, children: []}];
                    }
                }
            }
        }
        return root;
    }

    function engineFor(key, lang, force, alone) {
        var name = key + "|" + lang + "|" + (force ? "1" : "0") + (alone ? "|alone" : "");
        var found = engines[name];
        if (!found) {
            found = {items: {}};
            var sys = {
                retrieveLocale: retrieveLocale,
                retrieveItem: function (id) {
                    return found.items[id];
                }
            };
            var before = missing.length;
            var style = alone ? styleAlone(styles[key]) : styleForEngine(styles[key]);
            found.engine = new CSL.Engine(sys, style, lang, force);
            if (missing.length > before) {
                throw new Error("archive: locales not given yet: " + missing.join(" "));
            }
            found.engine.setOutputFormat("text");
            engines[name] = found;
        }
        return found;
    }

    // items: JSON array of CSL-JSON items. Returns JSON [[id, text], ...] in the style's order.
    function bibliography(key, lang, force, itemsJson) {
        return withLocales(function () {
            return bibliographyOf(key, lang, force, itemsJson);
        });
    }

    function bibliographyOf(key, lang, force, itemsJson) {
        var items = JSON.parse(itemsJson);
        var state = engineFor(key, lang, force);
        var ids = [];
        state.items = {};
        for (var i = 0; i < items.length; i += 1) {
            state.items[items[i].id] = items[i];
            ids.push(items[i].id);
        }
        state.engine.updateItems([]);  // forget cached items: an edited record keeps its id
        state.engine.updateItems(ids);
        var result = state.engine.makeBibliography();
        var out = [];
        if (result) {
            for (var j = 0; j < result[1].length; j += 1) {
                out.push([result[0].entry_ids[j][0], result[1][j].trim()]);
            }
        }
        return JSON.stringify(out);
    }

    // items: JSON array of CSL-JSON items. Returns JSON [text, ...]: each item formatted alone, as
    // bibliography() formats a list of that one item ("" when the style leaves it out), so many
    // single citations (a bag run's bag-info labels) cost one crossing instead of one each. As the
    // golden strings are made (tests/fixtures/citations/regenerate.py), each item replaces the one
    // before with updateItems([id]); the engine forgets what it held first, and again before an id
    // seen earlier in the call (an edited record keeps its id).
    function each(key, lang, force, itemsJson) {
        return withLocales(function () {
            return eachOf(key, lang, force, itemsJson);
        });
    }

    // The one place the alone engine's entry can differ from the full engine's: with
    // disambiguate-add-givenname, citeproc-js writes a name's given name or initials by what its
    // name register holds under the same family name (NameReg evalname: how many different
    // initials and given names). The register fills as names are rendered, each name added just
    // before it is written. The full engine rendered the citation layout and the bibliography's
    // sort keys when the item was registered, so every name those show is there before the entry
    // is written; the alone engine renders neither, so a name written before a later one of the
    // same family (or one the entry leaves out under et al.) is seen alone: harvard-cite-them-right
    // wrote "Tanaka, J. and Tanaka, Jiro" for the full engine's "Tanaka, Jun and Tanaka, Jiro".
    // When no two names of an item with different given names can share a register key (family,
    // periods as spaces, particles parsed off its front), every count is one in either engine and
    // the order does not matter (the same name twice, an author who is also the editor, adds
    // nothing). So only such items, rare, are formatted by the full engine instead (built once per
    // style and locale: for APA about 0.3 s of CPU more in the process that meets the first). The
    // key here is the last run of letters or digits of the family (or literal) name, case-folded:
    // citeproc-js parses particles only off the front, so two names with one register key always
    // share it (a false alarm costs only the full engine's time).
    var LAST_WORD = /[\p{L}\p{N}]+(?=[^\p{L}\p{N}]*$)/u;

    function familiesMeet(item) {
        var seen = Object.create(null);  // key -> the given name first seen with it
        for (var variable in item) {
            var names = item[variable];
            if (!Array.isArray(names)) {
                continue;
            }
            for (var i = 0; i < names.length; i += 1) {
                var name = names[i];
                if (!name || typeof name !== "object") {
                    continue;
                }
                var family = String(name.family || name.literal || "");
                var word = LAST_WORD.exec(family);
                var key = word ? word[0].toLowerCase() : "";
                var given = typeof name.given === "string" ? name.given : "";
                if (key in seen && seen[key] !== given) {
                    return true;
                }
                seen[key] = given;
            }
        }
        return false;
    }

    // The other: in the bibliography, citeproc-js shortens a name list that reaches et-al-min
    // to no fewer names than the item's citation showed (NameOutput._imposeNameConstraints reads
    // the registry's disambiguation settings, made by rendering the citation layout: with
    // et-al-use-last it gives et-al-min - 2 names). The alone engine's title-only citation shows no
    // names, so its list is cut at et-al-use-first: universite-laval-departement-des-sciences-
    // historiques wrote "DUBOIS, Jean Paul et al." for "DUBOIS, Jean Paul, Anne Marie MARTIN and
    // Seo yeon LEE". A list shorter than et-al-min is written whole in both, so only an entry
    // where some list reached et-al-min (etAlMet, marked by the wrapper above) goes to the full
    // engine: for APA (et-al-min 21) an item with 21 authors or more.
    function eachOf(key, lang, force, itemsJson) {
        var items = JSON.parse(itemsJson);
        var state = engineFor(key, lang, force, true);
        var out = [];
        state.items = {};
        state.engine.updateItems([]);
        for (var i = 0; i < items.length; i += 1) {
            var id = items[i].id;
            if (state.engine.opt["disambiguate-add-givenname"] && familiesMeet(items[i])) {
                var full = JSON.parse(bibliographyOf(key, lang, force, JSON.stringify([items[i]])));
                out.push(full.length ? full[0][1] : "");
                continue;
            }
            if (Object.prototype.hasOwnProperty.call(state.items, id)) {
                state.engine.updateItems([]);
            }
            state.items[id] = items[i];
            state.engine.updateItems([id]);
            CSL.archiveEtAlMet = false;
            var result = state.engine.makeBibliography();
            if (CSL.archiveEtAlMet) {
                full = JSON.parse(bibliographyOf(key, lang, force, JSON.stringify([items[i]])));
                out.push(full.length ? full[0][1] : "");
                continue;
            }
            out.push(result && result[1].length ? result[1][0].trim() : "");
        }
        return JSON.stringify(out);
    }

    return {
        addLocale: addLocale,
        addStyle: addStyle,
        knownLocales: knownLocales,
        styleForEngine: styleForEngine,
        styleAlone: styleAlone,
        bibliography: bibliography,
        each: each,
        version: function () {
            return CSL.PROCESSOR_VERSION;
        }
    };
}());
