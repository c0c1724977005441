service MyService {
  i32 getNumber()
}
