"""The catalogue of e-services (F-POR-1) and the site's general pages."""
