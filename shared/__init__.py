"""The domain shared by the portal, the back office, the API and the scheduler."""
