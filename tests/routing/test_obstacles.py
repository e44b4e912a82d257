"""Obstacle rules (routing.obstacles): what a report does to its edge, and how votes decide its status."""

from __future__ import annotations

from routing.obstacles import REPORT_TYPES, obstacle_for, vote_outcome


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
