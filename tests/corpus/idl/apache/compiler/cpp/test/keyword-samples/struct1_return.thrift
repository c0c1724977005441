struct return {}
