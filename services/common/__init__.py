"""Edges shared by the services: settings, logging, topics, health and metrics."""
