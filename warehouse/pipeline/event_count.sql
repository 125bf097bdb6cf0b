-- Every stored event of a project, bots included (what the pipeline has written).
SELECT count()
FROM events
WHERE project_id = {project:String}
