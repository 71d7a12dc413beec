"""Common given names, to tell a person's name from a body's that has the same shape.

A run of two or three capitalised words that nothing introduces ("Deutsche Bahn said", "Peter
Schroecksnadel said") is read as a body's name by the rules, because wire copy introduces a person
with a role or a quotation and names a company bare. When the first word is one of the commonest
given names, the shape alone says person: scoring older commits' rules on dev texts written after
them (bench/bench_reference_quality.py --unseen) showed such people proposed as organisations, and
no body of that shape among the proposals the change would alter there.

Source: the 1990 US Census name files "dist.male.first" and "dist.female.first" (US Census Bureau,
a work of the US Government and so in the public domain), as shipped in the PyPI package ``names``
0.3.0 (MIT). Only names given to at least 0.05% of the men or of the women are kept (571 of 5,494):
rarer ones in those files are as often words or places ("China", "India", "Chase", "Sterling"). Left
out, by hand, are given names that are just as often a place, a month or a word opening a body's or a
brand's name ("Georgia Tech", "Victoria Police", "Christian Aid", "Dawn", "Jack Daniel's"). The list
is American and says nothing about a name that is not in it: absence is no evidence of a body.
"""

from __future__ import annotations

COMMON_GIVEN_NAMES = frozenset({
    "Aaron", "Ada", "Adam", "Adrian", "Agnes", "Alan", "Albert", "Alberto", "Alex", "Alexander", "Alfred",
    "Alfredo", "Alice", "Alicia", "Alison", "Allan", "Allen", "Allison", "Alma", "Alvin", "Amanda", "Amber",
    "Amelia", "Amy", "Ana", "Andre", "Andrea", "Andrew", "Angela", "Angie", "Anita", "Ann", "Anna", "Anne",
    "Annette", "Annie", "Anthony", "Antonio", "Arlene", "Armando", "Arnold", "Arthur", "Ashley", "Audrey",
    "Barbara", "Barry", "Beatrice", "Becky", "Belinda", "Ben", "Benjamin", "Bernard", "Bernice", "Bertha",
    "Bessie", "Beth", "Betty", "Beverly", "Billie", "Billy", "Blanche", "Bobbie", "Bobby", "Bonnie", "Brad",
    "Bradley", "Brandi", "Brandon", "Brandy", "Brenda", "Brent", "Brett", "Brian", "Brittany", "Bruce",
    "Bryan", "Byron", "Calvin", "Candace", "Carl", "Carla", "Carlos", "Carmen", "Carol", "Carole",
    "Caroline", "Carolyn", "Carrie", "Casey", "Cassandra", "Catherine", "Cathy", "Cecil", "Cecilia", "Chad",
    "Charlene", "Charles", "Charlie", "Cheryl", "Chris", "Christina", "Christine", "Christopher", "Christy",
    "Cindy", "Claire", "Clara", "Clarence", "Claude", "Claudia", "Clayton", "Clifford", "Clifton", "Clyde",
    "Cody", "Colleen", "Connie", "Constance", "Cora", "Corey", "Cory", "Courtney", "Craig", "Curtis",
    "Cynthia", "Daisy", "Dale", "Dan", "Dana", "Daniel", "Danielle", "Danny", "Darlene", "Darrell",
    "Darren", "Darryl", "Daryl", "Dave", "David", "Deanna", "Debbie", "Deborah", "Debra", "Delores",
    "Denise", "Dennis", "Derek", "Derrick", "Diana", "Diane", "Dianne", "Dolores", "Donald", "Donna",
    "Dora", "Doris", "Dorothy", "Douglas", "Duane", "Dustin", "Dwayne", "Dwight", "Earl", "Eddie", "Edgar",
    "Edith", "Edna", "Edward", "Edwin", "Eileen", "Elaine", "Eleanor", "Elizabeth", "Ella", "Ellen",
    "Elmer", "Elsie", "Emily", "Emma", "Eric", "Erica", "Erik", "Erika", "Erin", "Ernest", "Esther",
    "Ethel", "Eugene", "Eunice", "Eva", "Evelyn", "Everett", "Fannie", "Felicia", "Felix", "Fernando",
    "Floyd", "Frances", "Francis", "Francisco", "Frank", "Franklin", "Fred", "Frederick", "Gabriel", "Gail",
    "Gary", "Genevieve", "George", "Gerald", "Geraldine", "Gertrude", "Gilbert", "Gina", "Gladys", "Glen",
    "Glenda", "Glenn", "Gloria", "Gordon", "Greg", "Gregory", "Gwendolyn", "Harold", "Harriet", "Harry",
    "Harvey", "Hattie", "Hazel", "Heather", "Hector", "Heidi", "Helen", "Henry", "Herbert", "Herman",
    "Hilda", "Howard", "Hugh", "Ian", "Inez", "Irene", "Irma", "Isaac", "Isabel", "Ivan", "Jackie", "Jacob",
    "Jacqueline", "Jaime", "James", "Jamie", "Jane", "Janet", "Janice", "Janie", "Jared", "Jason", "Javier",
    "Jay", "Jean", "Jeanette", "Jeanne", "Jeff", "Jeffery", "Jeffrey", "Jennie", "Jennifer", "Jenny",
    "Jeremy", "Jerome", "Jerry", "Jesse", "Jessica", "Jessie", "Jill", "Jim", "Jimmie", "Jimmy", "Joan",
    "Joann", "Joanna", "Joanne", "Jodi", "Joe", "Joel", "John", "Johnnie", "Johnny", "Jon", "Jonathan",
    "Jorge", "Jose", "Joseph", "Josephine", "Joshua", "Joyce", "Juan", "Juanita", "Judith", "Judy", "Julia",
    "Julian", "Julie", "Julio", "Justin", "Karen", "Karl", "Katherine", "Kathleen", "Kathryn", "Kathy",
    "Katie", "Katrina", "Kayla", "Keith", "Kelly", "Ken", "Kenneth", "Kevin", "Kim", "Kimberly", "Kristen",
    "Kristi", "Kristin", "Kristina", "Kristine", "Kurt", "Kyle", "Larry", "Laura", "Lauren", "Laurie",
    "Lawrence", "Leah", "Lee", "Lena", "Leo", "Leon", "Leona", "Leonard", "Leroy", "Leslie", "Lester",
    "Lewis", "Lillian", "Lillie", "Linda", "Lindsay", "Lindsey", "Lisa", "Lloyd", "Lois", "Lonnie",
    "Loretta", "Lori", "Lorraine", "Louis", "Louise", "Lucille", "Lucy", "Luis", "Lydia", "Lynda", "Lynn",
    "Mabel", "Madeline", "Maggie", "Manuel", "Marc", "Marcia", "Marcus", "Margaret", "Margarita", "Margie",
    "Marguerite", "Maria", "Marian", "Marie", "Marilyn", "Mario", "Marjorie", "Marlene", "Marsha", "Martha",
    "Martin", "Marvin", "Mary", "Maryann", "Mathew", "Matthew", "Mattie", "Maureen", "Maurice", "Maxine",
    "Megan", "Melanie", "Melinda", "Melissa", "Melody", "Melvin", "Michael", "Micheal", "Michele",
    "Michelle", "Miguel", "Mike", "Mildred", "Milton", "Minnie", "Miriam", "Mitchell", "Molly", "Monica",
    "Monique", "Morris", "Myrtle", "Nancy", "Naomi", "Natalie", "Natasha", "Nathan", "Nathaniel", "Neil",
    "Nellie", "Nelson", "Nicholas", "Nicole", "Nina", "Nora", "Norma", "Norman", "Olga", "Oscar", "Pamela",
    "Patricia", "Patrick", "Patsy", "Paul", "Paula", "Pauline", "Pedro", "Peggy", "Peter", "Philip",
    "Phillip", "Phyllis", "Priscilla", "Rachel", "Rafael", "Ralph", "Ramon", "Ramona", "Randall", "Randy",
    "Raul", "Raymond", "Rebecca", "Reginald", "Renee", "Rhonda", "Ricardo", "Richard", "Rick", "Ricky",
    "Rita", "Robert", "Roberta", "Roberto", "Robin", "Rodney", "Roger", "Roland", "Ron", "Ronald", "Ronnie",
    "Rosemary", "Rosie", "Ross", "Roy", "Ruben", "Russell", "Ruth", "Ryan", "Sabrina", "Sally", "Sam",
    "Samantha", "Samuel", "Sandra", "Sara", "Sarah", "Scott", "Sean", "Shane", "Shannon", "Sharon", "Shawn",
    "Sheila", "Shelly", "Sherri", "Sherry", "Sheryl", "Shirley", "Sidney", "Sonia", "Sonya", "Stacey",
    "Stacy", "Stanley", "Stella", "Stephanie", "Stephen", "Steve", "Steven", "Susan", "Suzanne", "Sylvia",
    "Tamara", "Tammy", "Tanya", "Tara", "Ted", "Teresa", "Terri", "Terry", "Thelma", "Theodore", "Theresa",
    "Thomas", "Tiffany", "Tim", "Timothy", "Tina", "Todd", "Tom", "Tommy", "Toni", "Tony", "Tonya",
    "Tracey", "Tracy", "Travis", "Troy", "Tyrone", "Valerie", "Vanessa", "Velma", "Vera", "Vernon",
    "Veronica", "Vicki", "Vickie", "Victor", "Vincent", "Viola", "Vivian", "Wallace", "Walter", "Wanda",
    "Wayne", "Wendy", "Wesley", "Willard", "William", "Willie", "Wilma", "Yolanda", "Yvette", "Yvonne",
    "Zachary",
})  # fmt: skip


def is_common_given_name(word: str) -> bool:
    """Whether the word, or the first part of a hyphenated one ("Linda-Gail"), is a common given name."""
    return word.split("-", 1)[0].strip(".,") in COMMON_GIVEN_NAMES
