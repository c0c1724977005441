enum enum_name {
  return
}
