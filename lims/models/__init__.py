"""All models, importable from one place."""
from lims.models.accounts import ApiToken, LoginThrottle, User, user_sites
from lims.models.audit import AuditEntry, AuditHead, CacheBump, ReportSigningKey
from lims.models.batches import Batch, BatchChange, Round, batch_tests
from lims.models.dispositions import DisposalAction, Disposition, Objection, Photo
from lims.models.imports import Import, ImportRow
from lims.models.jobs import Job
from lims.models.notifications import Notification
from lims.models.pagecache import CachedPage
from lims.models.orgs import Organisation, station_sites, user_orgs, user_stations
from lims.models.reference import (Food, FoodCategory, Instrument, ReagentLot, TestItem,
                                   TestItemOverride, item_categories)
from lims.models.reports import IssuedReport
from lims.models.results import Result
from lims.models.sites import Event, EventVenue, Site, Stall, Station, Supplier

__all__ = [
    "ApiToken", "AuditEntry", "AuditHead", "Batch", "BatchChange", "CacheBump", "CachedPage", "DisposalAction", "Disposition", "Event",
    "EventVenue", "Food", "FoodCategory", "Import", "ImportRow", "Job", "Instrument", "IssuedReport", "LoginThrottle",
    "Notification", "Objection", "Organisation", "Photo", "ReagentLot", "ReportSigningKey", "Result", "Round", "Site", "Stall", "Station", "Supplier",
    "TestItem", "TestItemOverride", "User", "batch_tests", "item_categories", "station_sites", "user_orgs", "user_sites", "user_stations",
]
