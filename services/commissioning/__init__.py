"""Commissioning service: providers, capacity, budgets, joint funding, reviews, spend, savings."""
