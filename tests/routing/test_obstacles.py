"""Obstacle rules (routing.obstacles): what a report does to its edge, and how votes decide its status."""

from __future__ import annotations

from routing.obstacles import (
    MERGE_RADIUS_M,
    REPORT_TYPES,
    TRUSTED_WINDOW,
    in_force,
    merges,
    obstacle_for,
    reporter_trusted,
    routing_effect,
    vote_outcome,
)


def test_which_reports_block_and_what_the_others_cost():
    assert obstacle_for("parked_vehicle", "blocking") == ("block", 0.0)
    assert obstacle_for("construction", "high") == ("block", 0.0)
    assert obstacle_for("blocked_sidewalk", "high") == ("block", 0.0)
    assert obstacle_for("head_height_object", "high") == ("penalty", 600.0)
    assert obstacle_for("construction", "medium") == ("penalty", 200.0)
    assert obstacle_for("damaged_surface", "low") == ("penalty", 40.0)
    assert len(REPORT_TYPES) == 10


def test_vote_outcomes():
    assert vote_outcome("new", yes=1, no=0) == "confirmed"
    assert vote_outcome("new", yes=0, no=1) == "new"
    assert vote_outcome("new", yes=0, no=2) == "rejected"
    assert vote_outcome("confirmed", yes=1, no=2) == "confirmed"  # reporter and one yes against two noes
    assert vote_outcome("confirmed", yes=1, no=3) == "resolved"


def test_a_reporter_is_trusted_by_a_record_of_confirmed_reports_and_none_rejected():
    assert not reporter_trusted([])
    assert not reporter_trusted(["confirmed", "resolved"])
    assert reporter_trusted(["confirmed", "resolved", "fixed"])
    assert not reporter_trusted(["confirmed", "resolved", "fixed", "rejected"])
    # Only the last TRUSTED_WINDOW decided reports count: an old mistake is forgiven.
    assert reporter_trusted(["confirmed"] * TRUSTED_WINDOW + ["rejected"])
    assert not reporter_trusted(["confirmed"] * (TRUSTED_WINDOW - 1) + ["rejected"])


def test_only_confirmed_or_trusted_reports_are_in_force_and_blocking_always_needs_confirmation():
    assert in_force("confirmed", "construction", "blocking", trusted_reporter=False)
    assert not in_force("new", "damaged_surface", "low", trusted_reporter=False)
    assert in_force("new", "damaged_surface", "low", trusted_reporter=True)
    assert not in_force("new", "parked_vehicle", "blocking", trusted_reporter=True)
    assert not in_force("new", "construction", "high", trusted_reporter=True)  # high construction blocks
    assert not in_force("rejected", "other", "low", trusted_reporter=True)
    assert routing_effect("construction", "blocking", in_force_now=False) == ("note", 0.0)
    assert routing_effect("construction", "medium", in_force_now=True) == ("penalty", 200.0)


def test_reports_merge_by_type_way_and_distance():
    assert merges("construction", 7, "construction", 7, MERGE_RADIUS_M)
    assert not merges("construction", 7, "construction", 7, MERGE_RADIUS_M + 0.1)
    assert not merges("construction", 7, "other", 7, 0.0)
    assert not merges("construction", 7, "construction", 8, 0.0)
