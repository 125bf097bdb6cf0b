-- Which identifier kinds a bare value was seen as (to resolve `njia person show <value>`).
SELECT
    countIf(user_id = {value:String}) AS as_user,
    countIf(anonymous_id = {value:String}) AS as_anon
FROM events
WHERE project_id = {project:String}
  AND (user_id = {value:String} OR anonymous_id = {value:String})
