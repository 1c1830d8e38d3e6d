"""Real Kafka (KRaft) and Elasticsearch on loopback, obtained from Maven Central.

`python -m infra up` fetches (once; Maven's local repository caches it), starts
both servers in the background under one state folder and waits until they are
healthy; `down` stops them, `wipe` removes their data. Tests use the same code
on their own ports, so a developer's running instance is never touched.
"""
