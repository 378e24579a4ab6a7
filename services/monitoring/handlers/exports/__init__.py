"""File exports of a call: CSV with HXL hashtags, IATI activities, a 360Giving package."""
