"""Triage of flag cases: `/flag queue` buttons, comment and adjudication modals, outcome messages."""
