// The one door between Python and citeproc-js: a bibliography as plain text.
//
// Loaded after citeproc.js (which sets the global CSL) both by the archive, in an embedded V8
// (mini-racer), and by tests/fixtures/citations/regenerate.py under node, so the golden strings
// and the archive's strings come out of the same calls. Everything crosses as JSON strings.
"use strict";

var archiveCite = (function () {
    var locales = {};   // "en-US" -> locale XML, filled by the caller before an engine needs it
    var styles = {};    // style key -> style XML
    var engines = {};   // style key + "|" + lang + "|" + force -> {engine, items}

    function addLocale(tag, xml) {
        locales[tag] = xml;
        return true;
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

    function engineFor(key, lang, force) {
        var name = key + "|" + lang + "|" + (force ? "1" : "0");
        var found = engines[name];
        if (!found) {
            found = {items: {}};
            var sys = {
                retrieveLocale: function (tag) {
                    return locales[tag] || false;
                },
                retrieveItem: function (id) {
                    return found.items[id];
                }
            };
            found.engine = new CSL.Engine(sys, styles[key], lang, force);
            found.engine.setOutputFormat("text");
            engines[name] = found;
        }
        return found;
    }

    // items: JSON array of CSL-JSON items. Returns JSON [[id, text], ...] in the style's order.
    function bibliography(key, lang, force, itemsJson) {
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

    return {
        addLocale: addLocale,
        addStyle: addStyle,
        bibliography: bibliography,
        version: function () {
            return CSL.PROCESSOR_VERSION;
        }
    };
}());
