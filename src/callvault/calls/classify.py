"""Who is local, which way a call went, and numbers in E.164."""

from __future__ import annotations

import ipaddress
import re
from functools import lru_cache

import phonenumbers

from callvault.calls.model import Direction, Party
from callvault.config import Settings
from callvault.errors import ConfigError

_POSSIBLE_INTERNATIONAL = re.compile(r"^\+[1-9][0-9]{6,14}$")
_DIALLABLE = re.compile(r"^\+?[0-9]{2,20}$")
_VISUAL_SEPARATORS = re.compile(r"[\s\-.()]")


@lru_cache(maxsize=4096)
def normalise_number(user: str | None) -> str | None:
    """A URI user part as a dialled number: visual separators (RFC 3966) removed, or None.

    Cached: each party's number is read for its E.164 form and again for its locality,
    and a capture's busy numbers come back call after call."""
    if not user:
        return None
    cleaned = _VISUAL_SEPARATORS.sub("", user)
    return cleaned if _DIALLABLE.match(cleaned) else None


def _parsed_possible(number: str) -> bool:
    """phonenumbers' answer for a +number: parsed, and of a length its country allows."""
    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return False
    return phonenumbers.is_possible_number(parsed)


@lru_cache(maxsize=1024)
def _national_prefix(country_code: int) -> re.Pattern[str] | None:
    """The pattern phonenumbers strips from the start of a national number of this country
    code (its national_prefix_for_parsing), None when it strips nothing.

    For a +number whose national part does not start with it, phonenumbers parses the digits
    unchanged and its possible-number test looks at their length only
    (is_possible_number_for_type_with_reason), so such numbers of one country code and one
    length share one answer.
    """
    region = phonenumbers.region_code_for_country_code(country_code)
    metadata = phonenumbers.PhoneMetadata.metadata_for_region_or_calling_code(country_code, region)
    pattern = metadata.national_prefix_for_parsing if metadata is not None else None
    return re.compile(pattern) if pattern else None


class Classifier:
    """Decides party locality, call direction and E.164 forms from the settings."""

    def __init__(self, settings: Settings) -> None:
        try:
            self.networks = [ipaddress.ip_network(n, strict=False) for n in settings.local_networks]
        except ValueError as exc:
            raise ConfigError(f"local network: {exc}") from exc
        self.domains = {d.lower() for d in settings.local_domains}
        self.prefixes = tuple(settings.local_number_prefixes)
        self.extension_max_digits = settings.extension_max_digits
        self.region = settings.default_region.upper() if settings.default_region else None
        self._e164 = lru_cache(maxsize=65536)(self._e164_uncached)
        self._possible_by_length: dict[tuple[int, int], bool] = {}
        """(country code, national length) -> possible, for numbers without a national
        prefix for phonenumbers to strip (see ``_possible``)."""

    def e164(self, user: str | None) -> str | None:
        number = normalise_number(user)
        return self._e164(number) if number else None

    def _e164_uncached(self, number: str) -> str | None:
        if number.startswith("00"):
            number = "+" + number[2:]
        if number.startswith("+"):
            # ITU-T E.164 §6: at most 15 digits; the country code decides what is possible
            return (
                number if _POSSIBLE_INTERNATIONAL.match(number) and self._possible(number) else None
            )
        if self.region is None:
            return None
        if (
            self.extension_max_digits
            and not number.startswith("+")
            and len(number) <= self.extension_max_digits
        ):
            return None
        try:
            parsed = phonenumbers.parse(number, None if number.startswith("+") else self.region)
        except phonenumbers.NumberParseException:
            return None
        if not phonenumbers.is_possible_number(parsed):
            return None
        return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)

    @staticmethod
    @lru_cache(maxsize=4096)
    def _known_country_code(prefix: str) -> bool:
        return bool(phonenumbers.COUNTRY_CODE_TO_REGION_CODE.get(int(prefix)))

    def _possible(self, number: str) -> bool:
        """A known country code (1-3 digits) and a length its numbering plan allows."""
        for size in (1, 2, 3):
            if self._known_country_code(number[1 : 1 + size]):
                country_code, national = int(number[1 : 1 + size]), number[1 + size :]
                prefix = _national_prefix(country_code)
                if prefix is not None and prefix.match(national):
                    # phonenumbers may strip a national prefix here: its digits decide
                    return _parsed_possible(number)
                # phonenumbers judges such a number by its national length alone
                key = (country_code, len(national))
                found = self._possible_by_length.get(key)
                if found is None:
                    found = self._possible_by_length[key] = _parsed_possible(number)
                return found
        return False

    def is_local(self, party: Party, host: str | None) -> bool:
        """A party is the business's own when its signalling address, URI domain or number
        says so."""
        if party.ip and self.networks:
            try:
                address = ipaddress.ip_address(party.ip)
            except ValueError:
                address = None
            if address is not None and any(address in n for n in self.networks):
                return True
        if host and host.lower() in self.domains:
            return True
        number = normalise_number(party.number)
        if number is None:
            return False
        if self.prefixes and any(
            number.startswith(p) or (party.e164 or "").startswith(p) for p in self.prefixes
        ):
            return True
        digits = number.lstrip("+")
        return (
            bool(self.extension_max_digits)
            and not number.startswith("+")
            and (len(digits) <= self.extension_max_digits)
        )

    def direction(self, caller_local: bool, callee_local: bool) -> Direction:
        if caller_local and callee_local:
            return Direction.INTERNAL
        if caller_local:
            return Direction.OUTBOUND
        if callee_local:
            return Direction.INBOUND
        return Direction.UNKNOWN
