"""Hearth on Discord, through discord.py."""
