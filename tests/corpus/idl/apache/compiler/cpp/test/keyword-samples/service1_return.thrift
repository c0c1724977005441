service return {}
