print("hookrelay")
