"""Web capture: fetch a page over HTTP(S) and keep the exchange as WARC 1.1.

``urls`` vets every URL (given or redirected to) and the addresses it resolves to; ``fetch``
speaks HTTP with our own redirect handling and limits (``decode`` undoes gzip/deflate/br);
``warc`` writes and reads the WARC; ``requisites`` finds a page's same-origin images and
stylesheets; ``batch`` schedules many captures, concurrent across hosts and polite within one.
This package file imports nothing, and no module here touches the network when imported: a CLI
command must import these modules inside its handler, so ``archive --help`` never loads urllib3
or warcio (tests/test_capture_warc.py checks it).
"""
