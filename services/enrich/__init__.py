"""Enrich: Faust agents that turn raw articles into enriched ones."""
