"""walker"""
