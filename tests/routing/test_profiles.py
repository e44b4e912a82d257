"""The profile choices the web app offers: every one of them is accepted when planning."""

from __future__ import annotations

import json

import pytest

from routing.profiles import PROFILES, PreferenceError, profile_choices, resolve


def test_every_offered_profile_and_preference_value_is_accepted():
    choices = json.loads(json.dumps(profile_choices()))
    assert choices["names"] == list(PROFILES) and choices["default"] in choices["names"]
    for name in choices["names"]:
        for preference, values in choices["preferences"].items():
            for value in values:
                assert getattr(resolve(name, {preference: value}), preference) == value
    assert choices["preferences"]["steps"] == ["use", "avoid", "never"]


def test_a_value_outside_the_offered_choices_is_refused():
    for preference, values in profile_choices()["preferences"].items():
        with pytest.raises(PreferenceError):
            resolve(None, {preference: values[0] + "_other"})
