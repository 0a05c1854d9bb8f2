"""Republishing: the OAI-PMH 2.0 provider (protocol, sets, resumption tokens) and its log.

Data flow: the pipeline records every change of a record graph in the publication log
(:mod:`exchange.provider.publish`); the provider (:mod:`exchange.provider.protocol`) pages
through that log and reads the record graphs from the store; :mod:`exchange.api.oai` is the
thin HTTP handler.
"""
