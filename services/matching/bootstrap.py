"""Builds matching from settings: the composition root."""

from __future__ import annotations

from functools import partial

from services.matching import handlers
from services.matching.config import MatchingSettings
from services.matching.orm import metadata
from shared.contracts import CaseOpened, MatchProposed
from shared.runtime import Runtime


def bootstrap(settings: MatchingSettings) -> Runtime:
    runtime = Runtime.build("matching", settings, metadata, topics=[CaseOpened.topic, MatchProposed.topic])
    runtime.consume(CaseOpened, group="matching",
                    effect=partial(handlers.propose_sites_for_case, runtime=runtime, settings=settings))
    return runtime
