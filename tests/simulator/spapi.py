"""A minimal SP-API client for tests: LWA sign-in, calls, schema validation of answers."""

from __future__ import annotations

from typing import Any

import requests

from simulator import spec
from simulator.config import SellerAccount


class Client:
    """Signs in through LWA and calls SP-API operations, validating every success body."""

    def __init__(self, base_url: str, seller: SellerAccount) -> None:
        self.base_url = base_url
        self.seller = seller
        token = requests.post(
            base_url + "/auth/o2/token",
            data={
                "grant_type": "refresh_token",
                "refresh_token": seller.refresh_token,
                "client_id": seller.client_id,
                "client_secret": seller.client_secret,
            },
            timeout=10,
        )
        token.raise_for_status()
        self.access_token = token.json()["access_token"]

    def call(
        self, method: str, path: str, params: dict[str, Any] | None = None, **kwargs: Any
    ) -> requests.Response:
        response = requests.request(
            method,
            self.base_url + path,
            params=params,
            headers={"x-amz-access-token": self.access_token},
            timeout=30,
            **kwargs,
        )
        if response.status_code in (200, 202):
            matched = spec.match_operation(method, path)
            assert matched is not None, path
            operation = matched[0]
            spec.validate_response(
                operation.model, operation.operation_id, response.status_code, response.json()
            )
        return response

    def get(self, path: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        response = self.call("GET", path, params)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body
