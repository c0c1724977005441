exception return {}
