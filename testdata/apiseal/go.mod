module example.com/apiseal

go 1.26.0
