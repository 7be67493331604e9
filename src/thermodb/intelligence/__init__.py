"""The intelligence layer: a query log, a closed-loop index advisor and anomaly reports.

See docs/insights.md. `Database` wires one `Insights` and decorates its query methods with
`logged`; nothing else in the core depends on this package.
"""

from thermodb.intelligence.hook import logged, unlogged
from thermodb.intelligence.insights import Insights
from thermodb.intelligence.settings import InsightsSettings

__all__ = ["Insights", "InsightsSettings", "logged", "unlogged"]
