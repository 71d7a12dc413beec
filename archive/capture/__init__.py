"""Web capture: fetch a page over HTTP(S) and keep the exchange as WARC 1.1.

``urls`` vets every URL (given or redirected to) and the addresses it resolves to; ``fetch``
speaks HTTP with our own redirect handling and limits; ``warc`` writes and reads the WARC.
Nothing here is imported by ``archive --help``: the CLI imports these modules only when a capture
runs, so urllib3 and warcio load only then.
"""
