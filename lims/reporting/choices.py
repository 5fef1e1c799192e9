"""What the report and dashboard pickers offer a reader: one node of the tree they may see
(their own by default), and — for a monthly report — optionally one market within it.

The node is the ``org`` of a report's address, the market its ``site``; a market outside the
node is refused by :func:`lims.reporting.figures.scope_for` (422), never widened or narrowed
silently. Each choice carries its node's ``path``, so that the page can offer only the markets
of the node chosen (``data-path``: a market belongs to a node when its path starts with the
node's)."""
from __future__ import annotations

from dataclasses import dataclass, field

from lims.accounts.access import Actor
from lims.rules.permissions import binding_of


@dataclass(frozen=True)
class NodeChoice:
    code: str  # "" for the reader's own part (the report's default)
    name: str
    path: str  # "" reaches every market the reader sees
    depth: int = 0


@dataclass(frozen=True)
class SiteChoice:
    code: str
    name: str
    path: str  # the path of the node the market belongs to
    node: str = ""  # that node's name (the markets are offered grouped by it)


@dataclass
class ReportChoices:
    own: NodeChoice
    nodes: list[NodeChoice] = field(default_factory=list)  # other nodes, tree order
    sites: list[SiteChoice] = field(default_factory=list)
    whole_allowed: bool = True  # False for a market manager: a report is of one of their markets


def report_choices(actor: Actor) -> ReportChoices:
    """The reader's own part, the other jurisdiction nodes they may see (indented by depth
    below the shallowest) and the markets they reach, in tree order."""
    from lims.orgs.services import visible_orgs
    from lims.reporting.figures import scope_for
    from lims.sites.services import list_sites

    sites = sorted((SiteChoice(s.code, s.name, s.org.path if s.org is not None else "",
                               s.org.name if s.org is not None else "") for s in list_sites(actor)),
                   key=lambda c: (c.path, c.code))
    user = actor.user
    if user is not None and binding_of(user.role) == "sites":
        return ReportChoices(NodeChoice("", "", ""), [], sites, whole_allowed=False)
    bound = list(getattr(user, "orgs", None) or ()) if user is not None and binding_of(user.role) == "orgs" else []
    own_org = bound[0] if len(bound) == 1 else None
    own = NodeChoice("", scope_for(actor, None).name, own_org.path if own_org is not None else "")
    orgs = [o for o in visible_orgs(actor) if o.is_jurisdiction and o is not own_org]
    top = min((o.path.count("/") for o in orgs), default=0)
    nodes = [NodeChoice(o.code, o.name, o.path, o.path.count("/") - top) for o in orgs]
    return ReportChoices(own, nodes, sites)
