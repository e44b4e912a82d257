"""Constants of the routing domain, kept in one place (as osmnx does).

Plain module-level values; nothing here reads the environment. Deployment choices (the cache folder, the snap limit)
are settings of the web layer (`app.core.config`), which passes them in and uses these as defaults.
"""

from __future__ import annotations

from pathlib import Path

# Bump whenever the compact graph's content or layout changes: cached graphs of another version are rebuilt.
GRAPH_VERSION = 9

# Where built graphs are cached; keyed by the input file's hash and GRAPH_VERSION.
CACHE_DIR = Path.home() / ".cache" / "lotse"

# A position farther than this from every walkable way is an error (the user is not on the map).
SNAP_LIMIT_M = 150.0

# Ways a pedestrian may use, by their `highway` value. Roads are walkable where walking is legal: in Germany
# everywhere but motorways and motor roads (`motorroad=yes`).
WALKABLE_HIGHWAYS = frozenset(
    {
        "footway", "sidewalk", "path", "pedestrian", "living_street", "residential", "service", "steps",
        "crossing", "track", "unclassified", "road", "platform", "corridor", "elevator", "bridleway",
        "primary", "primary_link", "secondary", "secondary_link", "tertiary", "tertiary_link",
        "trunk", "trunk_link", "cycleway",
    }
)
# Ways on which walking needs an explicit foot permission.
FOOT_PERMISSION_REQUIRED = frozenset({"cycleway", "bridleway"})
FOOT_ALLOWED_VALUES = frozenset({"yes", "designated", "permissive", "official"})
NO_ACCESS_VALUES = frozenset({"private", "no"})
# Areas (area=yes) a pedestrian can walk across; any other highway area (a car park, say) is dropped.
WALKABLE_AREA_HIGHWAYS = frozenset({"pedestrian", "footway", "path", "platform"})

# Ways that carry motor traffic: walking along one means walking beside a carriageway, and meeting one means
# crossing a street.
ROAD_HIGHWAYS = frozenset(
    {
        "primary", "primary_link", "secondary", "secondary_link", "tertiary", "tertiary_link",
        "trunk", "trunk_link", "unclassified", "residential", "living_street", "service", "road",
    }
)

# OSM node tags that make a node a point of its own in the graph instead of a bend inside an edge.
NODE_TAGS_KEPT_AS_JUNCTIONS = (
    "highway", "crossing", "crossing_ref", "crossing:markings", "crossing:signals", "crossing:island",
    "tactile_paving", "traffic_signals:sound", "traffic_signals:vibration", "button_operated",
    "kerb", "kerb:height", "barrier", "elevator",
)
# Node tags that make a landmark a walker can confirm their position by (a bus stop, a pharmacy, an entrance).
LANDMARK_TAGS = ("name", "public_transport", "railway", "amenity", "shop", "entrance", "tourism")
# Tags of addresses, which the destination search finds (on nodes and on building outlines).
ADDRESS_TAGS = ("addr:street", "addr:housenumber")
# OSM tags kept from the file (osmnx drops every other tag while parsing).
NODE_TAGS = NODE_TAGS_KEPT_AS_JUNCTIONS + LANDMARK_TAGS + ADDRESS_TAGS
WAY_TAGS = (
    "highway", "name", "ref", "foot", "access", "motorroad", "area", "footway", "sidewalk", "sidewalk:both",
    "sidewalk:left", "sidewalk:right", "surface", "smoothness", "lit", "width", "incline", "step_count",
    "handrail", "handrail:left", "handrail:right", "handrail:center", "ramp", "bridge", "tunnel", "segregated",
    "bicycle", "lanes", "maxspeed", "tactile_paving", "crossing", "crossing:signals", "crossing:markings",
    "crossing:island",
    # Not for walking: buildings and other ways that are landmarks or carry addresses.
    "building", "amenity", "shop", "tourism", "railway", "public_transport",
) + ADDRESS_TAGS
# Named amenities worth saying as landmarks (benches, bins and the like are not).
LANDMARK_AMENITIES = frozenset(
    {
        "pharmacy", "post_office", "bank", "townhall", "library", "hospital", "police", "school", "university",
        "place_of_worship", "cinema", "theatre", "kindergarten", "doctors", "dentist", "cafe", "restaurant",
        "fast_food", "pub", "bar", "biergarten", "ice_cream", "toilets", "fuel", "community_centre",
        "social_facility", "nursing_home", "marketplace", "bus_station", "taxi",
    }
)
# The same street and house number this near is one address (its node and its building's outline); farther away it is
# another town's (a region of several towns has many a Hauptstraße 1).
ADDRESS_SAME_PLACE_M = 500.0
# Landmarks farther than this from the walkable network are not said along a route.
LANDMARK_MAX_DISTANCE_M = 30.0

# Average pedestrian speed used for durations until a profile sets its own.
WALKING_SPEED_MPS = 1.2
