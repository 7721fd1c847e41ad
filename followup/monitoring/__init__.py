"""Basic monitoring: media, credit and business information, and IVO permit revocations.

fetchers read a source (HTTP JSON, RSS/Atom, CSV/XLSX file drop) into Records; matching ties
each record to a provider or unit; runner turns a run's records into Signals in one transaction
(and pauses units whose IVO permit was revoked); group_review raises reviews of related
providers when a unit is paused, removed or stopped; services are the team's writes (take and
close a signal, run a source now); selectors are the reads of the pages and the API.
"""
