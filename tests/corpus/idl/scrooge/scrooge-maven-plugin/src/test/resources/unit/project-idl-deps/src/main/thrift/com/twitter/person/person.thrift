namespace java com.twitter.person.thriftjava;
#namespace scala com.twitter.person.thriftscala;

struct Person {
  1: string firstName = "John";
  2: string lastName = "Doe";
}